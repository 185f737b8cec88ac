// A consumer of keep-session-alive/vue, type-checked (never run): the plugin
// and the composables are typed by the package's SessionState and
// SessionEventMap; the lines marked to expect an error prove the types are
// not `any`.
import { createApp, inject, type ShallowRef } from 'vue';
import type { SessionEventMap, SessionKeeper, SessionState } from '../../../pkg/keep_session_alive.js';
import {
  keepSessionAlive,
  sessionKeeperKey,
  useSessionEvent,
  useSessionKeeper,
  useSessionState,
} from '../../../pkg/vue.js';

type Exact<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_proof?: T): void {}

export function mount(keeper: SessionKeeper): void {
  createApp({}).use(keepSessionAlive, keeper).mount('#app');
  // @ts-expect-error the plugin takes a keeper
  createApp({}).use(keepSessionAlive, { refreshUrl: '/api/auth/refresh' });
}

export function setup(): number {
  const keeper = useSessionKeeper();
  assertType<Exact<typeof keeper, SessionKeeper>>();
  const injected = inject(sessionKeeperKey);
  assertType<Exact<typeof injected, SessionKeeper | undefined>>();

  const state = useSessionState(keeper);
  assertType<Exact<typeof state, Readonly<ShallowRef<SessionState>>>>();
  const authenticated: boolean = state.value.authenticated;
  // @ts-expect-error the ref is read-only
  state.value = state.value;
  useSessionState(keeper, { pollMs: 0 });
  // @ts-expect-error pollMs is a number
  useSessionState(keeper, { pollMs: '1s' });

  const stop = useSessionEvent(keeper, 'warning', (e) => {
    const ms: number = e.detail.remainingMs;
    const cause: 'idle' | 'absolute' = e.detail.cause;
    void [ms, cause];
  });
  assertType<Exact<typeof stop, () => void>>();
  useSessionEvent(keeper, 'logout', (e) => {
    assertType<Exact<typeof e, CustomEvent<SessionEventMap['logout']>>>();
  });
  useSessionEvent(keeper, 'error', (e) => {
    // @ts-expect-error error details have no remainingMs
    void e.detail.remainingMs;
  });
  // @ts-expect-error no such event
  useSessionEvent(keeper, 'nope', () => {});
  return authenticated ? (state.value.warningRemainingMs ?? 0) : 0;
}
