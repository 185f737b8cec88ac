// keep-session-alive/vue: composables over a SessionKeeper (Vue 3).
import type { InjectionKey, Plugin, ShallowRef } from 'vue';
import type { SessionEventMap, SessionKeeper, SessionState } from './keep_session_alive.js';

/** The injection key of the app's keeper: `inject(sessionKeeperKey)`. */
export const sessionKeeperKey: InjectionKey<SessionKeeper>;

/**
 * `app.use(keepSessionAlive, keeper)`: one keeper for the app, provided to
 * every component (`useSessionKeeper()`) and disposed when the app unmounts
 * (Vue 3.5+).
 */
export const keepSessionAlive: Plugin<[SessionKeeper]>;

/**
 * The keeper provided by `keepSessionAlive`. Call it in `setup()`. Without
 * one it throws in the browser; on the server (no window) it returns an
 * inert keeper, whose state is the one every keeper starts in.
 */
export function useSessionKeeper(): SessionKeeper;

export interface UseSessionStateOptions {
  /**
   * How often, in milliseconds, the state is read again for changes that
   * come without an event (activity in another tab moving `idleAt`, the
   * browser going online). Events re-read it at once. 0 = events only.
   * Default: 1000.
   */
  pollMs?: number;
}

/**
 * `keeper.state` as a read-only shallow ref. Its value stays the same object
 * until a field changes; `warningRemainingMs` counts only by being null or
 * not, so while a warning is up its number is the one read when the value
 * was made: for a live countdown use `idleAt` (or `absoluteAt`) minus
 * `Date.now()`. Stops listening when the effect scope (the component) ends.
 * On the server (no window) it is the keeper's state, read once; a component
 * hydrating a server render shows that state until it is mounted.
 */
export function useSessionState(keeper: SessionKeeper, options?: UseSessionStateOptions): Readonly<ShallowRef<SessionState>>;
/** `null` while `keeper` is `null` or `undefined` (not created yet). */
export function useSessionState(
  keeper: SessionKeeper | null | undefined,
  options?: UseSessionStateOptions,
): Readonly<ShallowRef<SessionState | null>>;

/**
 * Calls `handler` for every `type` event of `keeper` until the effect scope
 * ends; `event.detail` is typed by `SessionEventMap`. Returns a function that
 * stops it earlier. Does nothing while `keeper` is `null` or `undefined`.
 */
export function useSessionEvent<K extends keyof SessionEventMap>(
  keeper: SessionKeeper | null | undefined,
  type: K,
  handler: (event: CustomEvent<SessionEventMap[K]>) => void,
): () => void;
