import Keycloak from 'keycloak-js';
import init, { SessionKeeper } from 'keep-session-alive';

/** keycloak-js signs the user in, each tab for itself; the keeper decides when, and in which tab, it refreshes. */
export async function startSession(keycloakConfig, keeperOptions = {}) {
  await init();
  const keycloak = new Keycloak(keycloakConfig); // { url, realm, clientId }
  // With a session at Keycloak, check-sso gets this tab its own tokens (a redirect with
  // prompt=none); without one (a tab opened before the sign-in), none.
  const signedIn = await keycloak.init({ onLoad: 'check-sso', pkceMethod: 'S256', checkLoginIframe: false });
  const current = () => ({
    accessToken: keycloak.token,
    expiresIn: Math.floor(keycloak.tokenParsed.exp + (keycloak.timeSkew ?? 0) - Date.now() / 1000),
  });
  const { url, realm, clientId } = keycloakConfig;
  // This tab forgets its tokens and revokes its refresh token.
  async function forget() {
    const token = keycloak.refreshToken;
    keycloak.clearToken();
    if (token) {
      await fetch(`${url}/realms/${realm}/protocol/openid-connect/revoke`, {
        method: 'POST',
        body: new URLSearchParams({ client_id: clientId, token, token_type_hint: 'refresh_token' }),
      });
    }
  }

  const keeper = new SessionKeeper({
    ...keeperOptions,
    async refresh() {
      // No tokens in this tab (opened before the sign-in): another tab refreshes for it.
      if (!keycloak.refreshToken) return 'elsewhere';
      try {
        await keycloak.updateToken(-1); // -1: refresh now, whatever the token's age
      } catch (err) {
        if (!keycloak.refreshToken) return null; // refused (400): keycloak-js cleared its tokens
        throw err; // network, 5xx: transient
      }
      return current();
    },
    logout: forget, // the tab where the session ends
  });
  keeper.addEventListener('logout', forget); // and every other tab: each has its own refresh token
  if (signedIn) keeper.setSession(current()); // each tab with tokens of its own
  return { keycloak, keeper };
}
