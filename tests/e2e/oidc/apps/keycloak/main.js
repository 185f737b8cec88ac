// The test app around the recipe (session.js, the npm README's keycloak-js
// section; the page contract is in ../README.md). The scenario sets
// window.appConfig before the page loads:
//   { providerOrigin, realm, clientId, keeperOptions, eventTypes }
// The provider is dressed as Keycloak (dress.mjs): its realm lives at
// `${providerOrigin}/realms/${realm}`. The page exposes window.app (keeper,
// signIn, callApi, signedIn, logout, and what this tab's keycloak-js holds)
// and records what it saw in window.appLog for the scenario to read.
import { startSession } from './session.js';
import { expose, recordEvents } from '../test-app.js';

const config = window.appConfig;
const { keycloak, keeper } = await startSession(
  { url: config.providerOrigin, realm: config.realm, clientId: config.clientId },
  config.keeperOptions,
);
recordEvents(keeper);
expose('keycloak-js', {
  keycloak,
  keeper,
  signIn: () => keycloak.login(),
  /** Whether this tab's keycloak-js holds a refresh token of its own. */
  hasOwnTokens: () => Boolean(keycloak.refreshToken),
});
