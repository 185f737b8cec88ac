// The signed-in page's keeper, set up as the npm README's Express recipe says.
// The tests call window.startKeeper(extra) with their own timeouts and read
// the events it records.
import init, { SessionKeeper } from '/pkg/keep_session_alive.js';

// --- the recipe -----------------------------------------------------------
// (the npm README's; servers-express.test.mjs checks that these lines are in it)
export function keeperOptions() {
  return {
    keepaliveUrl: '/api/keepalive', // behind ensureLoggedIn: 302 to the sign-in page once the session is gone
    logoutUrl: '/logout', // req.logout(), behind the CSRF check
    sessionTimeoutMs: Number(document.querySelector('meta[name="session-timeout-ms"]').content), // cookie.maxAge, rolling
    // csrf-sync's token for this session, which the server wrote into the page.
    headers: () => ({ 'X-CSRF-Token': document.querySelector('meta[name="csrf-token"]').content }),
  };
}

// --- the tests' handle ------------------------------------------------------
const EVENTS = ['login', 'heartbeat', 'activity', 'warning', 'idle', 'timeout', 'logout', 'leader', 'error'];

window.startKeeper = async (extra = {}) => {
  await init();
  window.ksaEvents = [];
  const keeper = new SessionKeeper({ ...keeperOptions(), ...extra });
  for (const type of EVENTS) keeper.addEventListener(type, (e) => window.ksaEvents.push({ type, detail: e.detail, at: Date.now() }));
  keeper.setSession({}); // the page was served to a signed-in user
  window.keeper = keeper;
  return keeper.state;
};
