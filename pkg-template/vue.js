// keep-session-alive/vue: composables over a SessionKeeper and a plugin that
// gives an app one keeper. Plain JS, no build step; Vue 3 is an optional
// peer dependency, needed only by this entry point.
import { getCurrentScope, inject, onScopeDispose, shallowReadonly, shallowRef } from 'vue';
import { DEFAULT_POLL_MS, sessionStore } from './session-store.js';

/** The injection key of the app's keeper (provided by the plugin). */
export const sessionKeeperKey = Symbol('keep-session-alive: SessionKeeper');

/**
 * `app.use(keepSessionAlive, keeper)`: provides `keeper` to every component
 * of the app (`useSessionKeeper()`) and disposes it when the app unmounts.
 */
export const keepSessionAlive = {
  install(app, keeper) {
    if (!keeper) throw new Error('keep-session-alive/vue: app.use(keepSessionAlive, keeper) needs the keeper');
    app.provide(sessionKeeperKey, keeper);
    // app.onUnmount is Vue 3.5+; before it the app's keeper lives with the page.
    app.onUnmount?.(() => keeper.dispose());
  },
};

/** The keeper provided by the plugin; throws when there is none. */
export function useSessionKeeper() {
  const keeper = inject(sessionKeeperKey, null);
  if (!keeper) throw new Error('keep-session-alive/vue: no keeper provided: app.use(keepSessionAlive, keeper)');
  return keeper;
}

// Without an effect scope (outside setup()) nothing would ever stop it: the
// subscription then lasts as long as the keeper.
function whenScopeEnds(stop) {
  if (getCurrentScope()) onScopeDispose(stop);
  return stop;
}

/**
 * `keeper.state` as a read-only shallow ref. Its value stays the same object
 * until a field other than `warningRemainingMs`'s countdown changes, so an
 * unchanged session renders nothing. Stops listening when the scope ends.
 */
export function useSessionState(keeper, options) {
  const store = sessionStore(keeper, options?.pollMs ?? DEFAULT_POLL_MS);
  const state = shallowRef(store.getSnapshot());
  // Assigning the same snapshot triggers nothing.
  whenScopeEnds(store.subscribe(() => (state.value = store.getSnapshot())));
  return shallowReadonly(state);
}

/**
 * Calls `handler(event)` for every `type` event of `keeper` until the scope
 * ends; returns a function that stops it earlier.
 */
export function useSessionEvent(keeper, type, handler) {
  // A listener of its own, so that two calls with one handler stay two.
  const listener = (event) => handler(event);
  keeper.addEventListener(type, listener);
  return whenScopeEnds(() => keeper.removeEventListener(type, listener));
}
