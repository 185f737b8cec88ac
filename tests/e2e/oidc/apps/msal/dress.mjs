// The suite's OpenID Provider dressed as Microsoft Entra ID for
// @azure/msal-browser 5 (apps/README.md):
//   - https: MSAL refuses an http authority (authority_uri_insecure);
//   - the issuer is the origin itself, given to MSAL as its authority in
//     OIDC protocol mode (system.protocolMode 'OIDC') and listed in
//     knownAuthorities, so MSAL reads the provider's discovery document
//     (`${authority}/.well-known/openid-configuration`, whose paths it then
//     follows) and does no Entra instance discovery; it accepts an issuer of
//     the authority's scheme, host and port;
//   - rotation without reuse detection, as Entra ID: every refresh answers a
//     new refresh token and the one presented stays valid ("The Microsoft
//     identity platform doesn't revoke old refresh tokens when used to fetch
//     new access tokens"); the world still counts a rotated one presented
//     again as reuse;
//   - the scopes Entra always grants: MSAL adds `openid profile
//     offline_access` to every request, the refresh grant's too, and
//     oidc-provider refuses a refresh that asks for a scope the refresh token
//     lacks (invalid_scope). So it knows `profile` (and `email`), and grants
//     `offline_access` without `prompt=consent`, which it otherwise requires
//     (the sign-in shows its consent page either way);
//   - no revocation endpoint: Entra has none for single-page apps.
export const dress = {
  https: true,
  issuerPath: '',
  providerOverrides: {
    scopes: ['openid', 'offline_access', 'profile', 'email'],
  },
  reuseDetection: false,
  revocation: false,
  modules: ['@azure/msal-browser', '@azure/msal-common'],
  setup({ provider }) {
    provider.use(async (ctx, next) => {
      const { query } = ctx;
      if (ctx.method === 'GET' && ctx.path === '/auth' && query.scope?.split(' ').includes('offline_access') && !query.prompt) {
        ctx.query = { ...query, prompt: 'consent' };
      }
      await next();
    });
  },
};
