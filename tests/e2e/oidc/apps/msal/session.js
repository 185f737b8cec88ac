import { CacheLookupPolicy, InteractionRequiredAuthError, PublicClientApplication } from '@azure/msal-browser';
import init, { SessionKeeper } from 'keep-session-alive';

/** MSAL signs the user in; the keeper decides when, and in which tab, it refreshes. */
export async function startSession(msalConfig, scopes, keeperOptions = {}) {
  await init();
  // The account and its refresh token in localStorage, for every tab.
  const config = { ...msalConfig, cache: { ...msalConfig.cache, cacheLocation: 'localStorage' } };
  const msal = new PublicClientApplication(config);
  await msal.initialize();
  const signedIn = await msal.handleRedirectPromise(); // after loginRedirect(): an AuthenticationResult
  const session = (r) => ({ accessToken: r.accessToken, expiresIn: Math.floor((r.expiresOn.getTime() - Date.now()) / 1000) });

  // MSAL works from a copy of the cache in each tab's memory, updated when another tab's
  // BroadcastChannel message comes, which can be before its write shows in localStorage:
  // a tab's copy can keep a rotated refresh token, or none, until the next write. The
  // keeper refreshes in the tab that signed in or refreshed last while it lives ('this':
  // its copy is current); a tab that takes over ('leader', 'other') loads it afresh.
  let current = msal;
  const loadAfresh = async () => {
    const pca = new PublicClientApplication(config);
    await pca.initialize();
    return pca;
  };

  const keeper = new SessionKeeper({
    ...keeperOptions,
    async refresh() {
      if (['leader', 'other'].includes(keeper.state.refresher)) current = await loadAfresh();
      const account = current.getActiveAccount() ?? current.getAllAccounts()[0];
      if (!account) return 'elsewhere'; // nothing to refresh with in this tab: another tab may have it
      try {
        // Always the refresh_token grant, never a cached token, never an iframe.
        return session(await current.acquireTokenSilent({ scopes, account, cacheLookupPolicy: CacheLookupPolicy.RefreshToken }));
      } catch (err) {
        if (err?.errorCode === 'no_tokens_found') return 'elsewhere';
        // Refused (invalid_grant, revoked, expired): the user must sign in again.
        if (err instanceof InteractionRequiredAuthError || err?.errorCode === 'invalid_grant') return null;
        throw err; // network, 5xx, timeout: transient, the keeper retries with backoff
      }
    },
    async logout() {
      // Entra ID has no revocation endpoint for single-page apps: forget the tokens in every tab.
      await current.clearCache();
    },
  });
  // The tab that signed in starts the session; the other tabs get it from this one.
  if (signedIn) keeper.setSession(session(signedIn));
  return { msal, keeper };
}
