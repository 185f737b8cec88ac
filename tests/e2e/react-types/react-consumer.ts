// A consumer of keep-session-alive/react, type-checked (never run): the
// hooks are typed by the package's SessionState and SessionEventMap; the
// lines marked to expect an error prove the types are not `any`.
import type { SessionEventMap, SessionKeeper, SessionState } from '../../../pkg/keep_session_alive.js';
import { useSessionEvent, useSessionState } from '../../../pkg/react.js';

type Exact<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_proof?: T): void {}

export function component(keeper: SessionKeeper, maybe: SessionKeeper | null): number {
  const state = useSessionState(keeper);
  assertType<Exact<typeof state, SessionState>>();
  const early = useSessionState(maybe, { pollMs: 500 });
  assertType<Exact<typeof early, SessionState | null>>();
  // @ts-expect-error pollMs is a number
  useSessionState(keeper, { pollMs: '1s' });

  useSessionEvent(keeper, 'warning', (e) => {
    const ms: number = e.detail.remainingMs;
    const cause: 'idle' | 'absolute' = e.detail.cause;
    void [ms, cause];
  });
  useSessionEvent(maybe, 'logout', (e) => {
    assertType<Exact<typeof e, CustomEvent<SessionEventMap['logout']>>>();
  });
  useSessionEvent(keeper, 'error', (e) => {
    // @ts-expect-error error details have no remainingMs
    void e.detail.remainingMs;
  });
  // @ts-expect-error no such event
  useSessionEvent(keeper, 'nope', () => {});
  return state.warningRemainingMs ?? 0;
}
