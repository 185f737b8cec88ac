// keep-session-alive/react: hooks over a SessionKeeper (React 18 or newer).
import type { SessionEventMap, SessionKeeper, SessionState } from './keep_session_alive.js';

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
 * `keeper.state`, re-rendering the component when it changes (built on
 * `useSyncExternalStore`). The same object is returned until a field
 * changes; `warningRemainingMs` counts only by being null or not, so while
 * a warning is up its number is the one read when the snapshot was made:
 * for a live countdown use `idleAt` (or `absoluteAt`) minus `Date.now()`.
 * In a server render, and while the page hydrates, it is `null`
 * (`useSyncExternalStore`'s server snapshot): check for it where the
 * component renders on the server.
 */
export function useSessionState(keeper: SessionKeeper, options?: UseSessionStateOptions): SessionState;
/** `null` while `keeper` is `null` or `undefined` (not created yet). */
export function useSessionState(keeper: SessionKeeper | null | undefined, options?: UseSessionStateOptions): SessionState | null;

/**
 * Calls `handler` for every `type` event of `keeper` while the component is
 * mounted; `event.detail` is typed by `SessionEventMap`. The latest handler
 * is called: it need not be memoised, and changing it does not re-subscribe.
 */
export function useSessionEvent<K extends keyof SessionEventMap>(
  keeper: SessionKeeper | null | undefined,
  type: K,
  handler: (event: CustomEvent<SessionEventMap[K]>) => void,
): void;
