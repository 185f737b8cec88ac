import init, { SessionKeeper } from 'keep-session-alive';
import { ErrorResponse, UserManager, WebStorageStateStore } from 'oidc-client-ts';

/** oidc-client-ts signs the user in; the keeper decides when, and in which tab, it refreshes. */
export async function startSession(oidcSettings, keeperOptions = {}) {
  await init();
  const userManager = new UserManager({
    ...oidcSettings, // authority, client_id, redirect_uri, scope
    automaticSilentRenew: false, // the keeper refreshes, only while the user is present
    // One user, so one rotating refresh token, for every tab: the tab the keeper
    // picks always refreshes with the newest refresh token.
    userStore: new WebStorageStateStore({ store: window.localStorage }),
  });

  // Back from the provider's sign-in pages: finish the code flow first.
  const signedIn = new URLSearchParams(location.search).has('code') ? await userManager.signinRedirectCallback() : null;
  if (signedIn) history.replaceState(null, '', location.pathname);

  const keeper = new SessionKeeper({
    ...keeperOptions,
    async refresh() {
      // Signed out here or in another tab: nothing to refresh with (and no
      // fallback to signinSilent()'s iframe).
      if (!(await userManager.getUser())?.refresh_token) return null;
      try {
        const user = await userManager.signinSilent(); // the refresh_token grant
        return user && { accessToken: user.access_token, expiresIn: user.expires_in };
      } catch (err) {
        // The provider refused the refresh token (revoked, expired, reused): the session is over.
        if (err instanceof ErrorResponse && err.error === 'invalid_grant') return null;
        throw err; // network, 5xx, timeout: transient, the keeper retries with backoff
      }
    },
    async logout() {
      try {
        await userManager.revokeTokens(['refresh_token']); // at the provider's revocation endpoint
      } finally {
        // Even when revokeTokens() rejects: it also does after a successful revocation
        // answered with an empty text/plain body (authts/oidc-client-ts#2272).
        await userManager.removeUser();
      }
    },
  });
  // The tab that signed in starts the session; the other tabs get it from this one.
  if (signedIn) keeper.setSession({ accessToken: signedIn.access_token, expiresIn: signedIn.expires_in });
  return { userManager, keeper };
}
