// keep-session-alive/react: two hooks over a SessionKeeper. Plain JS, no
// build step; React (18 or newer) is an optional peer dependency, needed only
// by this entry point. The main entry stays framework-free.
import { useEffect, useLayoutEffect, useRef, useSyncExternalStore } from 'react';
import { DEFAULT_POLL_MS, sessionStore } from './session-store.js';

const noop = () => () => {};
const none = () => null;

/**
 * The keeper's `state`, re-rendering when it changes. The same object is
 * returned until a field other than `warningRemainingMs`'s countdown changes;
 * `null` while `keeper` is null or undefined.
 */
export function useSessionState(keeper, options) {
  const pollMs = options?.pollMs ?? DEFAULT_POLL_MS;
  const store = keeper ? sessionStore(keeper, pollMs) : null;
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
