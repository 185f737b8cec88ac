// The test app around the recipe (session.js, the npm README's auth0-spa-js
// section), as tests/e2e/oidc/apps/README.md describes: the world sets
// window.appConfig before the page loads ({ providerOrigin, clientId,
// keeperOptions, eventTypes, … }); the page exposes window.app (keeper,
// signIn, callApi, signedIn, logout, hasOwnTokens) and records what it saw
// in window.appLog for the scenario to read.
import { startSession } from './session.js';

const config = window.appConfig;
const log = { events: [], apiStatuses: [], renewErrors: [] };
window.appLog = log;

const { auth0, keeper } = await startSession(
  {
    // Without a scheme, as an Auth0 domain: auth0-spa-js adds https://.
    domain: new URL(config.providerOrigin).host,
    clientId: config.clientId,
    authorizationParams: { redirect_uri: `${location.origin}/` },
  },
  config.keeperOptions,
);
for (const type of config.eventTypes) {
  keeper.addEventListener(type, (e) => log.events.push({ type, detail: e.detail }));
}

const app = {
  auth0,
  keeper,
  signIn: () => auth0.loginWithRedirect(),
  /** Calls the resource server with the keeper's token; its status, 0 without a token. */
  async callApi() {
    const token = await keeper.getAccessToken();
    const status = token ? (await fetch('/api/resource', { headers: { authorization: `Bearer ${token}` } })).status : 0;
    log.apiStatuses.push(status);
    return status;
  },
  signedIn: async () => keeper.state.authenticated,
  logout: () => keeper.logout(),
  /** Whether auth0-spa-js's cache (localStorage, shared by every tab) still holds a refresh token. */
  hasOwnTokens: () =>
    Object.keys(localStorage).some((key) => key.startsWith('@@auth0spajs@@') && /"refresh_token"/.test(localStorage.getItem(key) ?? '')),
};
document.getElementById('sign-in').addEventListener('click', app.signIn);
window.app = app;
document.querySelector('[data-testid=status]').textContent = 'ready (auth0-spa-js)';
