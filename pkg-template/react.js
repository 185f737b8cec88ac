// keep-session-alive/react: two hooks over a SessionKeeper. Plain JS, no
// build step; React (18 or newer) is an optional peer dependency, needed only
// by this entry point. The main entry stays framework-free.
import { useEffect, useLayoutEffect, useRef, useSyncExternalStore } from 'react';

const EVENTS = ['login', 'logout', 'refresh', 'heartbeat', 'activity', 'warning', 'idle', 'timeout', 'leader', 'error'];
const DEFAULT_POLL_MS = 1000;

// `warningRemainingMs` counts down: it differs on every read, so it must not
// decide whether the state changed (useSyncExternalStore would re-render
// forever). Only whether a warning is up counts; the number in a snapshot is
// the one read when the snapshot was made.
function sameState(a, b) {
  if (a === b) return true;
  if (a === null || b === null) return false;
  const keys = Object.keys(b);
  if (keys.length !== Object.keys(a).length) return false;
  for (const k of keys) {
    if (k === 'warningRemainingMs') {
      if ((a[k] === null) !== (b[k] === null)) return false;
    } else if (!Object.is(a[k], b[k])) {
      return false;
    }
  }
  return true;
}

// One store per keeper and poll interval, shared by every component that reads it.
const stores = new WeakMap();

function storeFor(keeper, pollMs) {
  let byPoll = stores.get(keeper);
  if (!byPoll) stores.set(keeper, (byPoll = new Map()));
  let store = byPoll.get(pollMs);
  if (store) return store;

  const listeners = new Set();
  let snapshot = null;
  let detach = null;
  const read = () => {
    const next = keeper.state;
    if (!sameState(snapshot, next)) snapshot = next;
    return snapshot;
  };
  const notify = () => {
    for (const l of [...listeners]) l();
  };
  store = {
    getSnapshot: read,
    subscribe(listener) {
      listeners.add(listener);
      if (!detach) {
        // Events say when something happened; the poll catches what has no
        // event of its own (activity in another tab moving idleAt, online).
        for (const type of EVENTS) keeper.addEventListener(type, notify);
        const timer = pollMs > 0 ? setInterval(notify, pollMs) : null;
        detach = () => {
          for (const type of EVENTS) keeper.removeEventListener(type, notify);
          if (timer !== null) clearInterval(timer);
          detach = null;
        };
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && detach) detach();
      };
    },
  };
  byPoll.set(pollMs, store);
  return store;
}

const noop = () => () => {};
const none = () => null;

/**
 * The keeper's `state`, re-rendering when it changes. The same object is
 * returned until a field other than `warningRemainingMs`'s countdown changes;
 * `null` while `keeper` is null or undefined.
 */
export function useSessionState(keeper, options) {
  const pollMs = options?.pollMs ?? DEFAULT_POLL_MS;
  const store = keeper ? storeFor(keeper, pollMs) : null;
  return useSyncExternalStore(store ? store.subscribe : noop, store ? store.getSnapshot : none, none);
}

const useIsomorphicLayoutEffect = typeof document === 'undefined' ? useEffect : useLayoutEffect;

/**
 * Calls `handler(event)` for every `type` event of `keeper` while the
 * component is mounted. The latest `handler` is called: it need not be
 * memoised, and changing it does not re-subscribe.
 */
export function useSessionEvent(keeper, type, handler) {
  const latest = useRef(handler);
  useIsomorphicLayoutEffect(() => {
    latest.current = handler;
  });
  useEffect(() => {
    if (!keeper) return undefined;
    const listener = (event) => latest.current(event);
    keeper.addEventListener(type, listener);
    return () => keeper.removeEventListener(type, listener);
  }, [keeper, type]);
}
