// keep-session-alive/angular: one SessionKeeper per application, its state as
// a Signal, its events bound to an injection context (Angular 22 or newer).
import type { EnvironmentProviders, InjectionToken, Injector, Signal } from '@angular/core';
import type { SessionEventMap, SessionKeeper, SessionKeeperOptions, SessionState } from './keep_session_alive.js';

/** The application's keeper: `inject(SESSION_KEEPER)` for `login()`, `fetch()`, `logout()`, … */
export const SESSION_KEEPER: InjectionToken<SessionKeeper>;

export interface KeepSessionAliveConfig {
  /**
   * How often, in milliseconds, `injectSessionState()` re-reads the state
   * for changes that come without an event (activity in another tab moving
   * `idleAt`, the browser going online). Events re-read it at once.
   * 0 = events only. Default: 1000.
   */
  pollMs?: number;
  /**
   * Web target only: where `init()` fetches the WebAssembly from (a URL, a
   * `Response`, bytes or a compiled module). Default: the
   * `keep_session_alive_bg.wasm` next to the package's JS module, which the
   * app's build must then serve (Angular CLI: an `assets` entry).
   */
  wasm?: RequestInfo | URL | Response | BufferSource | WebAssembly.Module;
}

/**
 * Providers for `bootstrapApplication` / `ApplicationConfig`: loads the
 * WebAssembly while the app initialises, then constructs one keeper with
 * `options` (a function is called in the injection context, so it may
 * `inject()` configuration). The keeper is created outside the Angular zone
 * and disposed with the environment. Works zoneless and with zone.js. On the
 * server platform (@angular/ssr) it loads nothing and the keeper is inert:
 * its state is the one every keeper starts in, and no event fires.
 */
export function provideKeepSessionAlive(
  options: SessionKeeperOptions | (() => SessionKeeperOptions),
  config?: KeepSessionAliveConfig,
): EnvironmentProviders;

export interface InjectSessionOptions {
  /** The injector to use outside an injection context (its `DestroyRef` ends the subscription). */
  injector?: Injector;
}

/**
 * `keeper.state` as a read-only Signal. The same object is kept until a
 * field changes; `warningRemainingMs` counts only by being null or not, so
 * while a warning is up its number is the one read when the value was made:
 * for a live countdown use `idleAt` (or `absoluteAt`) minus `Date.now()`.
 * Must run in an injection context unless `options.injector` is given.
 */
export function injectSessionState(options?: InjectSessionOptions): Signal<SessionState>;

/**
 * Calls `handler` for every `type` event of the keeper (inside the Angular
 * zone) until the injection context is destroyed; `event.detail` is typed by
 * `SessionEventMap`.
 */
export function injectSessionEvent<K extends keyof SessionEventMap>(
  type: K,
  handler: (event: CustomEvent<SessionEventMap[K]>) => void,
  options?: InjectSessionOptions,
): void;
