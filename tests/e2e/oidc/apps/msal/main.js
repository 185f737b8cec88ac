// The test app around the recipe (session.js, the npm README's
// @azure/msal-browser section), as tests/e2e/oidc/apps/README.md describes:
// the world sets window.appConfig before the page loads ({ authority,
// clientId, keeperOptions, eventTypes, … }; authority is the provider's https
// issuer, a known authority in OIDC protocol mode); the page exposes
// window.app (keeper, signIn, callApi, signedIn, logout, hasOwnTokens) and
// records what it saw in window.appLog for the scenario to read.
import { startSession } from './session.js';

const config = window.appConfig;
const log = { events: [], apiStatuses: [], renewErrors: [] };
window.appLog = log;

const scopes = ['openid'];
const { msal, keeper } = await startSession(
  {
    auth: {
      clientId: config.clientId,
      authority: config.authority,
      knownAuthorities: [new URL(config.authority).host],
      redirectUri: `${location.origin}/`,
    },
    system: { protocolMode: 'OIDC' },
  },
  scopes,
  config.keeperOptions,
);
for (const type of config.eventTypes) {
  keeper.addEventListener(type, (e) => log.events.push({ type, detail: e.detail }));
}

const app = {
  msal,
  keeper,
  signIn: () => msal.loginRedirect({ scopes }),
  /** Calls the resource server with the keeper's token; its status, 0 without a token. */
  async callApi() {
    const token = await keeper.getAccessToken();
    const status = token ? (await fetch('/api/resource', { headers: { authorization: `Bearer ${token}` } })).status : 0;
    log.apiStatuses.push(status);
    return status;
  },
  signedIn: async () => keeper.state.authenticated,
  logout: () => keeper.logout(),
  /** Whether MSAL's cache (localStorage, shared by every tab) still holds a refresh token. */
  hasOwnTokens: () => Object.keys(localStorage).some((key) => key.split('|')[3] === 'refreshtoken'),
};
document.getElementById('sign-in').addEventListener('click', app.signIn);
window.app = app;
document.querySelector('[data-testid=status]').textContent = 'ready (msal-browser)';
