import { Injector, inject, provideAppInitializer } from '@angular/core';
import { bootstrapApplication } from '@angular/platform-browser';
import { SESSION_KEEPER } from 'keep-session-alive/angular';
import { App } from './app/app';
import { appConfig } from './app/app.config';

declare global {
  interface Window {
    ksaEarlyState?: () => unknown;
    ksaRelease?: () => void;
  }
}

// Test only: with ?hold in the address the app waits to hydrate until the
// test calls window.ksaRelease(). Meanwhile window.ksaEarlyState() reads the
// keeper's state (null until the keeper is made): the test lets the keeper
// hear from the other tabs first, as on a slow network where hydration comes
// late. App initializers run together, so the keeper is made meanwhile.
const hold = provideAppInitializer(() => {
  if (!new URLSearchParams(location.search).has('hold')) return undefined;
  const injector = inject(Injector);
  window.ksaEarlyState = () => {
    try {
      return injector.get(SESSION_KEEPER).state;
    } catch {
      return null;
    }
  };
  return new Promise<void>((resolve) => (window.ksaRelease = resolve));
});

bootstrapApplication(App, { ...appConfig, providers: [...appConfig.providers, hold] }).catch((err) => console.error(err));
