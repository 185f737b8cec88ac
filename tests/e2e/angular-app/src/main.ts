import { APP_ID, inject } from '@angular/core';
import { bootstrapApplication } from '@angular/platform-browser';
import { provideKeepSessionAlive } from 'keep-session-alive/angular';
// The keeper's options, the same in every app of the suite (read by the test too).
import keeperOptions from '../../lib/app-keeper-options.json';
import { App } from './app/app';
import { changeDetection } from './change-detection';
import { counts } from './app/counts';

// Whether zone.js was loaded: the `zone` configuration's polyfill, or nothing.
counts.mode = 'Zone' in window ? 'zone.js' : 'zoneless';
bootstrapApplication(App, {
  providers: [
    changeDetection.provider,
    // Options from a function, run in the injection context: it may inject().
    provideKeepSessionAlive(() => ({ ...keeperOptions, channelName: `keep-session-alive-${inject(APP_ID)}` })),
  ],
})
  .then((app) => (window.unmountApp = () => app.destroy()))
  .catch((err) => console.error(err));
