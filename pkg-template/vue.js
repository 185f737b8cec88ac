// keep-session-alive/vue: composables over a SessionKeeper and a plugin that
// gives an app one keeper. Plain JS, no build step; Vue 3 is an optional
// peer dependency, needed only by this entry point.
//
// On the server (no window) there is no keeper to run: useSessionKeeper()
// answers with an inert one when the app provides none (a client-only
// plugin), and the state is the one every keeper starts in, never polled.
// A component hydrating a server render shows that state until it is
// mounted, then the keeper's.
import { getCurrentInstance, getCurrentScope, inject, onMounted, onScopeDispose, shallowReadonly, shallowRef } from 'vue';
// The inert keeper of server.js on the server; undefined in a browser build.
import { SessionKeeper as ServerKeeper } from '#keep-session-alive/server';
import { DEFAULT_POLL_MS, SERVER_STATE, sessionStore } from './session-store.js';

const onServer = () => typeof window === 'undefined';
let serverKeeper = null;

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

/**
 * The keeper provided by the plugin. On the server, without one: an inert
 * keeper (server.js). In the browser, without one: throws.
 */
export function useSessionKeeper() {
  const keeper = inject(sessionKeeperKey, null);
  if (keeper) return keeper;
  if (ServerKeeper && onServer()) return (serverKeeper ??= new ServerKeeper());
  throw new Error('keep-session-alive/vue: no keeper provided: app.use(keepSessionAlive, keeper)');
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
 * `null` while `keeper` is null or undefined; on the server, the keeper's
 * state, read once.
 */
export function useSessionState(keeper, options) {
  if (!keeper || onServer()) return shallowReadonly(shallowRef(keeper ? keeper.state : null));
  const store = sessionStore(keeper, options?.pollMs ?? DEFAULT_POLL_MS);
  // Hydrating a server render (the component's element is already there):
  // the first render must show what the server showed.
  const hydrating = getCurrentInstance()?.vnode.el != null;
  const state = shallowRef(hydrating ? SERVER_STATE : store.getSnapshot());
  let live = !hydrating;
  const read = () => {
    // Assigning the same snapshot triggers nothing.
    if (live) state.value = store.getSnapshot();
  };
  if (hydrating) {
    onMounted(() => {
      live = true;
      read();
    });
  }
  whenScopeEnds(store.subscribe(read));
  return shallowReadonly(state);
}

/**
 * Calls `handler(event)` for every `type` event of `keeper` until the scope
 * ends; returns a function that stops it earlier.
 */
export function useSessionEvent(keeper, type, handler) {
  if (!keeper) return () => {};
  // A listener of its own, so that two calls with one handler stay two.
  const listener = (event) => handler(event);
  keeper.addEventListener(type, listener);
  return whenScopeEnds(() => keeper.removeEventListener(type, listener));
}
