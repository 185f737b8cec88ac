// The test app around the recipe (session.js, the npm README's auth0-spa-js
// section), as tests/e2e/oidc/apps/README.md describes: the world sets
// window.appConfig before the page loads ({ providerOrigin, clientId,
// keeperOptions, eventTypes, … }); the page exposes window.app (keeper,
// signIn, callApi, signedIn, logout, hasOwnTokens) and records what it saw
// in window.appLog for the scenario to read.
import { startSession } from './session.js';
import { expose, recordEvents } from '../test-app.js';

const config = window.appConfig;
const { auth0, keeper } = await startSession(
  {
    // Without a scheme, as an Auth0 domain: auth0-spa-js adds https://.
    domain: new URL(config.providerOrigin).host,
    clientId: config.clientId,
    authorizationParams: { redirect_uri: `${location.origin}/` },
  },
  config.keeperOptions,
);
recordEvents(keeper);
expose('auth0-spa-js', {
  auth0,
  keeper,
  signIn: () => auth0.loginWithRedirect(),
  /** Whether auth0-spa-js's cache (localStorage, shared by every tab) still holds a refresh token. */
  hasOwnTokens: () =>
    Object.keys(localStorage).some((key) => key.startsWith('@@auth0spajs@@') && /"refresh_token"/.test(localStorage.getItem(key) ?? '')),
});
