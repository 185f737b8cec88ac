// The test app around the recipe (session.js, the npm README's
// @azure/msal-browser section), as tests/e2e/oidc/apps/README.md describes:
// the world sets window.appConfig before the page loads ({ authority,
// clientId, keeperOptions, eventTypes, … }; authority is the provider's https
// issuer, a known authority in OIDC protocol mode); the page exposes
// window.app (keeper, signIn, callApi, signedIn, logout, hasOwnTokens) and
// records what it saw in window.appLog for the scenario to read.
import { startSession } from './session.js';
import { expose, recordEvents } from '../test-app.js';

const config = window.appConfig;
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
recordEvents(keeper);
expose('msal-browser', {
  msal,
  keeper,
  signIn: () => msal.loginRedirect({ scopes }),
  /** Whether MSAL's cache (localStorage, shared by every tab) still holds a refresh token. */
  hasOwnTokens: () => Object.keys(localStorage).some((key) => key.split('|')[3] === 'refreshtoken'),
});
