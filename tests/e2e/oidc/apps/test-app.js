// What every token-source app exposes to the scenarios (README.md, the page
// contract), around its library's recipe: the log of the keeper's events and
// API statuses, the call to the resource server with a token, the sign-in
// button, and window.app.

/** What the page saw, for the scenario to read. */
export const log = { events: [], apiStatuses: [], renewErrors: [] };
window.appLog = log;

/** Records the keeper's events of `appConfig.eventTypes`, in order. */
export function recordEvents(keeper) {
  for (const type of window.appConfig.eventTypes) {
    keeper.addEventListener(type, (e) => log.events.push({ type, detail: e.detail }));
  }
}

/** GET /api/resource with `token` as its bearer; the status, 0 (and no request) without a token. */
export async function callApi(token) {
  const status = token ? (await fetch('/api/resource', { headers: { authorization: `Bearer ${token}` } })).status : 0;
  log.apiStatuses.push(status);
  return status;
}

/**
 * Exposes `app` as window.app, with the keeper's own answers where it has a
 * keeper (the token from `getAccessToken()`, never the library's field,
 * which is stale in the tabs that did not refresh), wires the sign-in
 * button, and says the page is ready.
 */
export function expose(label, app) {
  const { keeper } = app;
  window.app = {
    callApi: async () => callApi(await keeper.getAccessToken()),
    signedIn: async () => keeper.state.authenticated,
    logout: () => keeper.logout(),
    ...app,
  };
  document.getElementById('sign-in').addEventListener('click', window.app.signIn);
  document.querySelector('[data-testid=status]').textContent = `ready (${label})`;
}
