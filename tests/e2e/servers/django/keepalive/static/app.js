// The signed-in page's keeper, set up as the npm README's Django recipe says.
// The tests call window.startKeeper(extra) with their own timeouts and read
// the events it records.
import init, { SessionKeeper } from '/pkg/keep_session_alive.js';

// --- the recipe -----------------------------------------------------------
// (the npm README's; servers-django.test.mjs checks that these lines are in it)
// Django's CSRF token, read from its cookie on every request: it changes at
// each sign-in (rotate_token), so a value read once at page load goes stale.
const csrftoken = () => document.cookie.match(/(?:^|;\s*)csrftoken=([^;]*)/)?.[1] ?? '';

export function keeperOptions() {
  return {
    keepaliveUrl: '/api/keepalive/', // @login_required: 302 to LOGIN_URL once the session is gone
    logoutUrl: '/accounts/logout/', // Django's LogoutView (POST only)
    sessionTimeoutMs: Number(document.querySelector('meta[name="session-timeout-ms"]').content), // SESSION_COOKIE_AGE * 1000
    headers: () => ({ 'X-CSRFToken': csrftoken() }),
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
