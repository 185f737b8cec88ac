// A consumer of the published package, type-checked by `npx tsc -p tests/types`.
// It touches every option, state field and event of the public API with
// precise types, and the @ts-expect-error lines prove the .d.ts is not `any`:
// if a type degraded to `any`, those lines would stop erroring and tsc would
// report "Unused '@ts-expect-error' directive".

import init, { ActivityHold, SessionKeeper } from '../../pkg/keep_session_alive.js';
import type { SessionEventMap, SessionKeeperOptions, SessionState } from '../../pkg/keep_session_alive.js';

type Exact<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_proof?: T): void {}

// Every option, with its documented type.
const options: SessionKeeperOptions = {
  keepaliveUrl: '/api/keepalive',
  refreshUrl: '/api/auth/refresh',
  logoutUrl: '/api/auth/logout',
  loginUrl: '/api/auth/login',
  sessionTimeoutMs: 120_000,
  minHeartbeatIntervalMs: 30_000,
  idleTimeoutMs: 90_000,
  warningMs: 30_000,
  absoluteTimeoutMs: 8 * 3_600_000,
  refreshLeadMs: 10_000,
  requestTimeoutMs: 10_000,
  siblingWaitMs: 300,
  activityEvents: ['pointerdown', 'keydown'],
  headers: { 'X-Requested-With': 'XMLHttpRequest' },
  channelName: 'keep-session-alive',
  logoutOnIdle: true,
};

// All options are optional: a cookie-only and a token-only config both type-check.
const cookieOnly: SessionKeeperOptions = { keepaliveUrl: '/api/keepalive', sessionTimeoutMs: 120_000 };
const tokenOnly: SessionKeeperOptions = { refreshUrl: '/api/auth/refresh' };

// @ts-expect-error sessionTimeoutMs is a number of milliseconds, not a string
const badOptionType: SessionKeeperOptions = { sessionTimeoutMs: '2m' };
// @ts-expect-error activityEvents is a string[], not a string
const badEvents: SessionKeeperOptions = { activityEvents: 'keydown' };
// @ts-expect-error unknown option names are rejected (excess property check)
const badOptionName: SessionKeeperOptions = { keepAliveURL: '/api/keepalive' };

// Bring your own token source: an OpenID Connect client library's calls as callbacks.
const fromLibrary: SessionKeeperOptions = {
  refresh: async () => ({ accessToken: 'opaque', expiresIn: 30 }),
  keepalive: async () => true,
  logout: async () => {},
  sessionTimeoutMs: 120_000,
};
const sessionOver: SessionKeeperOptions = { refresh: async () => null };
// A tab whose library holds no credentials here: another tab refreshes.
const notHere: SessionKeeperOptions = { refresh: async () => 'elsewhere' as const };
const keepaliveNothing: SessionKeeperOptions = { keepalive: async () => undefined, sessionTimeoutMs: 120_000 };
assertType<Exact<SessionKeeperOptions['refresh'], (() => Promise<{ accessToken: string; expiresIn: number } | null | 'elsewhere'>) | undefined>>();
assertType<Exact<SessionKeeperOptions['keepalive'], (() => Promise<boolean | void>) | undefined>>();
assertType<Exact<SessionKeeperOptions['logout'], (() => Promise<void>) | undefined>>();
// A URL and its callback together type-check; the constructor refuses them (an options error at runtime).
const urlAndCallback: SessionKeeperOptions = { refreshUrl: '/api/auth/refresh', refresh: async () => null };
// @ts-expect-error refresh resolves { accessToken, expiresIn }, null or 'elsewhere', not a number
const refreshNumber: SessionKeeperOptions = { refresh: async () => 42 };
// @ts-expect-error nor any other string
const refreshOtherString: SessionKeeperOptions = { refresh: async () => 'somewhere' as const };
// @ts-expect-error expiresIn is a number of seconds, not a string
const refreshBadExpiry: SessionKeeperOptions = { refresh: async () => ({ accessToken: 'opaque', expiresIn: '30' }) };
// @ts-expect-error keepalive resolves a boolean or nothing, not a string
const keepaliveString: SessionKeeperOptions = { keepalive: async () => 'ok' };
// @ts-expect-error a callback option is a function, not a URL
const refreshUrlString: SessionKeeperOptions = { refresh: '/api/auth/refresh' };

function describe(state: SessionState): string {
  const flags: boolean[] = [state.authenticated, state.restoring, state.idle, state.leader, state.online];
  const tabId: string = state.tabId;
  const times: (number | null)[] = [
    state.tokenExpiresAt,
    state.lastActivity,
    state.lastHeartbeat,
    state.lastRefresh,
    state.warningRemainingMs,
    state.idleAt,
    state.absoluteAt,
  ];
  const ignored: number = state.ignoredMessages;
  const holds: number = state.holds;
  assertType<Exact<SessionState['holds'], number>>();
  assertType<Exact<SessionState['tokenExpiresAt'], number | null>>();
  assertType<Exact<SessionState['tabId'], string>>();
  assertType<Exact<SessionState['leader'], boolean>>();
  assertType<Exact<SessionState['refresher'], 'this' | 'other' | 'leader' | 'unable' | 'none'>>();
  // @ts-expect-error tokenExpiresAt may be null
  const notNull: number = state.tokenExpiresAt;
  // @ts-expect-error the state never exposes the access token
  void state.accessToken;
  return `${tabId} ${flags.join()} ${times.join()} ${ignored} ${holds} ${notNull}`;
}

// Event details: each event's payload has exactly the documented shape.
assertType<Exact<SessionEventMap['activity'], {}>>();
assertType<Exact<SessionEventMap['idle'], {}>>();
assertType<Exact<SessionEventMap['heartbeat'], {}>>();
assertType<Exact<SessionEventMap['warning'], { remainingMs: number; cause: 'idle' | 'absolute' }>>();
assertType<Exact<SessionEventMap['timeout'], { cause: 'idle' | 'absolute' }>>();
assertType<Exact<SessionEventMap['refresh'], { expiresAt: number }>>();
assertType<Exact<SessionEventMap['login'], { expiresAt: number | null }>>();
assertType<Exact<SessionEventMap['logout'], { reason: 'user' | 'idle' | 'absolute' | 'revoked'; remote: boolean }>>();
assertType<Exact<SessionEventMap['leader'], { leader: boolean }>>();
assertType<
  Exact<
    SessionEventMap['error'],
    {
      operation: 'heartbeat' | 'refresh';
      kind: 'network' | 'timeout' | 'server' | 'rate-limited' | 'malformed' | 'rejected';
      message: string;
    }
  >
>();
assertType<
  Exact<
    keyof SessionEventMap,
    'activity' | 'idle' | 'heartbeat' | 'warning' | 'timeout' | 'refresh' | 'login' | 'logout' | 'leader' | 'error'
  >
>();

export async function main(): Promise<void> {
  await init();

  const keeper = new SessionKeeper(options);
  const cookieKeeper = new SessionKeeper(cookieOnly);
  cookieKeeper.setSession({});
  cookieKeeper.dispose();
  new SessionKeeper(tokenOnly).dispose();
  new SessionKeeper(fromLibrary).dispose();
  new SessionKeeper(sessionOver).dispose();
  new SessionKeeper(notHere).dispose();
  new SessionKeeper(keepaliveNothing).dispose();
  void urlAndCallback;
  void refreshNumber;
  void refreshBadExpiry;
  void keepaliveString;
  void refreshUrlString;
  void badOptionType;
  void badEvents;
  void badOptionName;

  // @ts-expect-error the constructor needs an options object
  new SessionKeeper();

  const log: string[] = [];
  keeper.addEventListener('activity', (ev) => log.push(`activity ${JSON.stringify(ev.detail)}`));
  keeper.addEventListener('idle', () => log.push('idle'));
  keeper.addEventListener('heartbeat', (ev) => log.push(`heartbeat at ${ev.timeStamp}`));
  keeper.addEventListener('warning', (ev) => {
    const remaining: number = ev.detail.remainingMs;
    const cause: 'idle' | 'absolute' = ev.detail.cause;
    log.push(`warning ${cause} ${remaining}`);
    // @ts-expect-error warning detail has remainingMs, not remaining
    log.push(String(ev.detail.remaining));
  });
  keeper.addEventListener('timeout', (ev) => {
    const cause: 'idle' | 'absolute' = ev.detail.cause;
    log.push(`timeout ${cause}`);
  });
  keeper.addEventListener('refresh', (ev) => {
    const expiresAt: number = ev.detail.expiresAt;
    log.push(`refresh ${expiresAt}`);
  });
  keeper.addEventListener('login', (ev) => {
    const expiresAt: number | null = ev.detail.expiresAt;
    log.push(`login ${expiresAt ?? 'cookie'}`);
  });
  const onLogout = (ev: CustomEvent<SessionEventMap['logout']>): void => {
    switch (ev.detail.reason) {
      case 'user':
      case 'idle':
      case 'absolute':
      case 'revoked': {
        const remote: boolean = ev.detail.remote;
        log.push(`logout ${ev.detail.reason}${remote ? ' (another tab)' : ''}`);
        break;
      }
      default: {
        const unreachable: never = ev.detail.reason;
        throw new Error(unreachable);
      }
    }
  };
  keeper.addEventListener('logout', onLogout);
  keeper.removeEventListener('logout', onLogout);
  keeper.addEventListener('leader', (ev) => {
    const leader: boolean = ev.detail.leader;
    log.push(`leader ${leader}`);
  });
  keeper.addEventListener('error', (ev) => {
    const { operation, kind, message } = ev.detail;
    log.push(`${operation} failed (${kind}): ${message}`);
    // @ts-expect-error 'fatal' is not an error kind
    const fatal: boolean = kind === 'fatal';
    void fatal;
  });
  // @ts-expect-error 'expired' is not an event name
  keeper.addEventListener('expired', () => {});
  // @ts-expect-error a refresh event's detail has no reason
  keeper.addEventListener('refresh', (ev) => log.push(ev.detail.reason));

  await keeper.login({ email: 'demo@example.com', password: 'demo-password', mode: 'token' });
  keeper.setSession({ accessToken: 'opaque', expiresIn: 30 });
  keeper.setSession({});
  // @ts-expect-error expiresIn is in seconds, a number
  keeper.setSession({ accessToken: 'opaque', expiresIn: '30' });

  const token: string | null = await keeper.getAccessToken();
  // @ts-expect-error the token may be null (no session)
  const definitely: string = await keeper.getAccessToken();
  void definitely;

  const res: Response = await keeper.fetch('/api/profile');
  const res2: Response = await keeper.fetch(new URL('/api/profile', location.href), { method: 'GET' });
  const res3: Response = await keeper.fetch(new Request('/api/profile'));
  const profile = (await res.json()) as { email: string };

  keeper.staySignedIn();
  keeper.touch();
  const hold: ActivityHold = keeper.holdActive('video');
  const label: string | undefined = hold.label;
  const held: boolean = hold.held;
  hold.release();
  keeper.holdActive().release();
  // @ts-expect-error a hold's label is a string
  keeper.holdActive(42);
  log.push(`${label ?? ''} ${held}`);
  const state: SessionState = keeper.state;
  // @ts-expect-error state is read-only
  keeper.state = state;

  log.push(describe(state), profile.email, String(token !== null), String(res2.ok && res3.ok));
  await keeper.logout();
  keeper.dispose();
  console.log(log.join('\n'));
}
