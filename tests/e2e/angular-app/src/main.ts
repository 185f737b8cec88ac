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
    provideKeepSessionAlive(keeperOptions),
  ],
})
  .then((app) => (window.unmountApp = () => app.destroy()))
  .catch((err) => console.error(err));
