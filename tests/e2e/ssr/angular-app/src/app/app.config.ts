import { ApplicationConfig } from '@angular/core';
import { provideClientHydration } from '@angular/platform-browser';
import { provideRouter } from '@angular/router';
import { provideKeepSessionAlive } from 'keep-session-alive/angular';
import { routes } from './app.routes';

export const appConfig: ApplicationConfig = {
  providers: [
    provideRouter(routes),
    provideClientHydration(),
    // In the browser: loads the .wasm while the app initialises and makes the
    // one keeper. On the server: loads nothing, and the keeper is inert.
    provideKeepSessionAlive({
      loginUrl: '/api/auth/login',
      keepaliveUrl: '/api/keepalive',
      logoutUrl: '/api/auth/logout',
      sessionTimeoutMs: 30 * 60_000, // the server's sliding timeout
      idleTimeoutMs: 20 * 60_000,
    }),
  ],
};
