// A consumer of keep-session-alive/angular, type-checked (never run): the
// provider, the token, the signal and the events are typed by the package's
// SessionKeeperOptions, SessionState and SessionEventMap; the lines marked to
// expect an error prove the types are not `any`.
import { inject, InjectionToken, Injector, type EnvironmentProviders, type Signal } from '@angular/core';
import type { SessionEventMap, SessionKeeper, SessionState } from '../../../pkg/keep_session_alive.js';
import {
  SESSION_KEEPER,
  injectSessionEvent,
  injectSessionState,
  provideKeepSessionAlive,
  type KeepSessionAliveConfig,
} from '../../../pkg/angular.js';

type Exact<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_proof?: T): void {}

const providers = provideKeepSessionAlive({ refreshUrl: '/api/auth/refresh', idleTimeoutMs: 120_000 }, { pollMs: 500 });
assertType<Exact<typeof providers, EnvironmentProviders>>();
// Options from the app's own configuration, injected when the keeper is made.
const SERVER = new InjectionToken<{ sessionTimeoutMs: number }>('server');
provideKeepSessionAlive(() => ({ keepaliveUrl: '/api/keepalive', sessionTimeoutMs: inject(SERVER).sessionTimeoutMs }));
provideKeepSessionAlive({}, { wasm: new URL('/assets/keep_session_alive_bg.wasm', 'https://example.com') });
const config: KeepSessionAliveConfig = { pollMs: 0, wasm: '/keep_session_alive_bg.wasm' };
void config;
// @ts-expect-error an option the keeper does not have
provideKeepSessionAlive({ refreshUrll: '/api/auth/refresh' });
// @ts-expect-error pollMs is a number
provideKeepSessionAlive({}, { pollMs: '1s' });

export class SessionComponent {
  readonly keeper = inject(SESSION_KEEPER);
  readonly state = injectSessionState();
  readonly elsewhere = injectSessionState({ injector: inject(Injector) });

  constructor() {
    assertType<Exact<typeof this.keeper, SessionKeeper>>();
    assertType<Exact<typeof this.state, Signal<SessionState>>>();
    assertType<Exact<typeof this.elsewhere, Signal<SessionState>>>();
    // @ts-expect-error the signal is read-only
    this.state.set(this.state());

    injectSessionEvent('warning', (e) => {
      const ms: number = e.detail.remainingMs;
      const cause: 'idle' | 'absolute' = e.detail.cause;
      void [ms, cause];
    });
    injectSessionEvent('logout', (e) => {
      assertType<Exact<typeof e, CustomEvent<SessionEventMap['logout']>>>();
    }, { injector: inject(Injector) });
    injectSessionEvent('error', (e) => {
      // @ts-expect-error error details have no remainingMs
      void e.detail.remainingMs;
    });
    // @ts-expect-error no such event
    injectSessionEvent('nope', () => {});
  }

  seconds(): number {
    return Math.ceil((this.state().warningRemainingMs ?? 0) / 1000);
  }
}
