// The requests part's page, served by ksa-server (same origin as its /api).
// The bench calls window.bench.begin(design, mode, first) in each tab, the
// first tab signing in, then drives page.clock and window.bench.activity().
import { startSeed000 } from '/baselines/seed000-heartbeat.js';
import { Seed002AuthService } from '/baselines/seed002-refresh.js';

const credentials = { email: 'demo@example.com', password: 'demo-password' };
// The server runs with --idle-timeout-secs 1800: the SDK is told the same.
const SESSION_TIMEOUT_MS = 30 * 60_000;

async function post(url, body) {
  const r = await fetch(url, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
}

// Resolves when `ok()` holds, checking every 20 ms for at most 10 s.
async function until(ok, what) {
  for (let i = 0; i < 500; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const designs = {
  async sdk(mode, first) {
    const { default: init, SessionKeeper } = await import('/pkg/keep_session_alive.js');
    await init();
    const options =
      mode === 'cookie'
        ? { loginUrl: '/api/auth/login', keepaliveUrl: '/api/keepalive', logoutUrl: '/api/auth/logout', sessionTimeoutMs: SESSION_TIMEOUT_MS }
        : { loginUrl: '/api/auth/login', refreshUrl: '/api/auth/refresh', logoutUrl: '/api/auth/logout' };
    const keeper = new SessionKeeper(options);
    globalThis.keeper = keeper;
    if (first) await keeper.login({ ...credentials, mode });
    // A cookie app's later tabs are pages served to a signed-in user; a token
    // app's later tabs get the token from a sibling tab.
    else if (mode === 'cookie') keeper.setSession({});
    await until(() => keeper.state.authenticated, 'a session');
    return () => ({ authenticated: keeper.state.authenticated, leader: keeper.state.leader });
  },
  async seed000(mode, first) {
    if (mode !== 'cookie') throw new Error('seed 000 is a cookie-session heartbeat');
    if (first) await post('/api/auth/login', { ...credentials, mode: 'cookie' });
    startSeed000();
    return () => ({ authenticated: true });
  },
  async seed002(mode, first) {
    if (mode !== 'token') throw new Error('seed 002 is a token refresh');
    const auth = new Seed002AuthService();
    if (first) await auth.login(credentials.email, credentials.password);
    else if (!(await auth.refreshAccessToken())) throw new Error('seed 002: the first refresh of a new tab failed');
    return () => ({ authenticated: auth.accessToken !== null, failures: auth.failures });
  },
};

let status = () => ({});
let started = { state: 'not started' };
globalThis.bench = {
  // Not awaited by the bench: the clock is paused, so the bench moves it
  // while it polls ready().
  begin(design, mode, first) {
    started = { state: 'pending' };
    designs[design](mode, first).then(
      (s) => { status = s; started = { state: 'ready' }; },
      (e) => { started = { state: 'failed', error: String(e?.message ?? e) }; },
    );
  },
  ready: () => started,
  activity() {
    document.body.dispatchEvent(new PointerEvent('pointermove', { bubbles: true, clientX: 10, clientY: 10, pointerType: 'mouse' }));
  },
  status: () => status(),
};
