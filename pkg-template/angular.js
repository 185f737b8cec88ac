// keep-session-alive/angular: one SessionKeeper per Angular application,
// its state as a Signal and its events bound to an injection context. Plain
// JS, no compiler: only @angular/core's runtime functions. @angular/core
// (22 or newer) is an optional peer dependency, needed only by this entry.
//
// Server rendering (@angular/ssr): on a platform other than the browser
// nothing is loaded and the keeper is inert (server.js): its state is the
// one every keeper starts in, never polled, and no event fires.
//
// Change detection: the keeper and the state's poll are started outside the
// Angular zone, so with zone.js their timers trigger no change detection; a
// real change reaches the app through the signal (which schedules change
// detection, zoneless or not) and event handlers run inside the zone.
import {
  DestroyRef,
  EnvironmentInjector,
  InjectionToken,
  Injector,
  NgZone,
  PLATFORM_ID,
  assertInInjectionContext,
  inject,
  makeEnvironmentProviders,
  provideAppInitializer,
  signal,
} from '@angular/core';
import * as wasmModule from './keep_session_alive.js';
// The inert keeper of server.js on the server; undefined in a browser build.
import { SessionKeeper as ServerKeeper } from '#keep-session-alive/server';
import { DEFAULT_POLL_MS, sessionStore } from './session-store.js';

/** The application's SessionKeeper (from `provideKeepSessionAlive`). */
export const SESSION_KEEPER = new InjectionToken('keep-session-alive: SessionKeeper');
const CONFIG = new InjectionToken('keep-session-alive: provider config');

// The web target exports init() and needs it awaited once per page before a
// keeper can be made; the bundler target instantiates the .wasm on import.
const init = wasmModule.default;
let loading = null;
let loaded = typeof init !== 'function';

function loadWasm(wasm) {
  if (loaded) return Promise.resolve();
  loading ??= init(wasm === undefined ? undefined : { module_or_path: wasm }).then(() => {
    loaded = true;
  });
  return loading;
}

// Angular's PLATFORM_BROWSER_ID: the server platform renders, the browser runs.
const inBrowser = (injector) => injector.get(PLATFORM_ID) === 'browser';

function createKeeper() {
  if (!inBrowser(inject(Injector))) {
    if (!ServerKeeper) {
      throw new Error(
        'keep-session-alive/angular: this server build resolved "#keep-session-alive/server" ' +
          'with the "browser" condition, which has no server keeper',
      );
    }
    return new ServerKeeper();
  }
  if (!loaded) {
    throw new Error(
      'keep-session-alive/angular: SESSION_KEEPER was injected before the WebAssembly was loaded; ' +
        'inject it from components and services, not from another app initializer',
    );
  }
  const { options } = inject(CONFIG);
  const resolved = typeof options === 'function' ? options() : options;
  // Outside the zone: the keeper's timers, channel and listeners must not
  // make zone.js run change detection each time they fire.
  const keeper = inject(NgZone).runOutsideAngular(() => new wasmModule.SessionKeeper(resolved));
  inject(DestroyRef).onDestroy(() => keeper.dispose());
  return keeper;
}

/**
 * Environment providers for `bootstrapApplication` (or `ApplicationConfig`):
 * load the WebAssembly during app initialisation, then construct one
 * keeper with `options` (or with what `options()` returns, called in the
 * injection context so it may `inject()` configuration). The keeper is
 * disposed when the environment is destroyed. `config.pollMs`: how often the
 * state is re-read for changes without an event (default 1000, 0 = events
 * only); `config.wasm`: where the web target fetches the .wasm from (default:
 * next to the package's JS module).
 */
export function provideKeepSessionAlive(options, config = {}) {
  return makeEnvironmentProviders([
    { provide: CONFIG, useValue: { options, pollMs: config.pollMs ?? DEFAULT_POLL_MS, wasm: config.wasm } },
    { provide: SESSION_KEEPER, useFactory: createKeeper },
    provideAppInitializer(() => {
      const injector = inject(EnvironmentInjector);
      // On the server: nothing to load, and the keeper is made when injected.
      if (!inBrowser(injector)) return undefined;
      // Constructed once loaded, so the session restore starts at bootstrap.
      return loadWasm(inject(CONFIG).wasm).then(() => {
        injector.get(SESSION_KEEPER);
      });
    }),
  ]);
}

function injectorOf(fn, options) {
  if (options?.injector) return options.injector;
  assertInInjectionContext(fn);
  return inject(Injector);
}

/**
 * The keeper's `state` as a read-only Signal. It stays the same object while
 * only `warningRemainingMs`'s countdown changes (whether a warning is up
 * counts), so an unchanged session notifies no consumer. Stops listening
 * when the injection context (component, service) is destroyed.
 */
export function injectSessionState(options) {
  const injector = injectorOf(injectSessionState, options);
  const keeper = injector.get(SESSION_KEEPER);
  // On the server: the inert keeper's state, with nothing to listen to.
  if (!inBrowser(injector)) return signal(keeper.state).asReadonly();
  const pollMs = injector.get(CONFIG, null)?.pollMs ?? DEFAULT_POLL_MS;
  const store = sessionStore(keeper, pollMs);
  const state = signal(store.getSnapshot());
  // The poll's interval is created here: outside the zone for the same
  // reason as the keeper. set() with the same snapshot notifies nobody.
  const unsubscribe = injector.get(NgZone).runOutsideAngular(() => store.subscribe(() => state.set(store.getSnapshot())));
  injector.get(DestroyRef).onDestroy(unsubscribe);
  return state.asReadonly();
}

/**
 * Calls `handler(event)` for every `type` event of the keeper, inside the
 * Angular zone, until the injection context is destroyed.
 */
export function injectSessionEvent(type, handler, options) {
  const injector = injectorOf(injectSessionEvent, options);
  const keeper = injector.get(SESSION_KEEPER);
  // On the server no event ever fires.
  if (!inBrowser(injector)) return;
  const zone = injector.get(NgZone);
  const listener = (event) => zone.run(() => handler(event));
  keeper.addEventListener(type, listener);
  injector.get(DestroyRef).onDestroy(() => keeper.removeEventListener(type, listener));
}
