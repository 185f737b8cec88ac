import { Auth0Client } from '@auth0/auth0-spa-js';
import init, { SessionKeeper } from 'keep-session-alive';

/** auth0-spa-js signs the user in; the keeper decides when, and in which tab, it refreshes. */
export async function startSession(auth0Options, keeperOptions = {}) {
  await init();
  // new Auth0Client, not createAuth0Client(): its checkSession() would renew on its own at load.
  const auth0 = new Auth0Client({
    ...auth0Options, // domain, clientId, authorizationParams: { redirect_uri, audience }
    useRefreshTokens: true, // with refresh token rotation on for the application in Auth0
    useRefreshTokensFallback: false, // a refused refresh token ends the session: no iframe
    // One rotating refresh token for every tab, read from localStorage at each refresh.
    cacheLocation: 'localstorage',
  });

  // Back from the sign-in pages: finish the code flow first.
  let signedIn = null;
  if (new URLSearchParams(location.search).has('code')) {
    await auth0.handleRedirectCallback();
    history.replaceState(null, '', location.pathname);
    // The token just issued, from the cache (auth0-spa-js hands out none with 60 s or
    // less left: with tokens that short, a first refresh here).
    signedIn = await auth0.getTokenSilently({ detailedResponse: true });
  }
  const session = (t) => ({ accessToken: t.access_token, expiresIn: t.expires_in });

  const keeper = new SessionKeeper({
    ...keeperOptions,
    async refresh() {
      try {
        // cacheMode 'off': always the refresh_token grant, never a cached token.
        const t = await auth0.getTokenSilently({ cacheMode: 'off', detailedResponse: true });
        return t ? session(t) : null;
      } catch (err) {
        // Refused (revoked, expired, reused: Auth0 then revokes them all) or no refresh token: over.
        if (['invalid_grant', 'missing_refresh_token', 'login_required'].includes(err?.error)) return null;
        throw err; // network, 5xx, timeout: transient, the keeper retries with backoff
      }
    },
    async logout() {
      try {
        await auth0.revokeRefreshToken(); // at Auth0's /oauth/revoke
      } finally {
        await auth0.logout({ openUrl: false }); // clears the shared cache, no redirect
      }
    },
  });
  // The tab that signed in starts the session; the other tabs get it from this one.
  if (signedIn) keeper.setSession(session(signedIn));
  return { auth0, keeper };
}
