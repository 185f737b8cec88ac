// The test app around the recipe (session.js, the npm README's keycloak-js
// section; the page contract is in ../README.md). The scenario sets
// window.appConfig before the page loads:
//   { providerOrigin, realm, clientId, keeperOptions, eventTypes }
// The provider is dressed as Keycloak (dress.mjs): its realm lives at
// `${providerOrigin}/realms/${realm}`. The page exposes window.app (keeper,
// signIn, callApi, signedIn, logout, and what this tab's keycloak-js holds)
// and records what it saw in window.appLog for the scenario to read.
import { startSession } from './session.js';

const config = window.appConfig;
const log = { events: [], apiStatuses: [], renewErrors: [] };
window.appLog = log;

const { keycloak, keeper } = await startSession(
  { url: config.providerOrigin, realm: config.realm, clientId: config.clientId },
  config.keeperOptions,
);
for (const type of config.eventTypes) {
  keeper.addEventListener(type, (e) => log.events.push({ type, detail: e.detail }));
}

const app = {
  keycloak,
  keeper,
  signIn: () => keycloak.login(),
  /** Calls the resource server with the keeper's token; its status, 0 without a token. */
  async callApi() {
    const token = await keeper.getAccessToken();
    const status = token ? (await fetch('/api/resource', { headers: { authorization: `Bearer ${token}` } })).status : 0;
    log.apiStatuses.push(status);
    return status;
  },
  signedIn: async () => keeper.state.authenticated,
  logout: () => keeper.logout(),
  /** Whether this tab's keycloak-js holds a refresh token of its own. */
  hasOwnTokens: () => Boolean(keycloak.refreshToken),
};
document.getElementById('sign-in').addEventListener('click', app.signIn);
window.app = app;
document.querySelector('[data-testid=status]').textContent = 'ready (keycloak-js)';
