// The suite's OpenID Provider dressed as Keycloak for keycloak-js 26 (read by
// tests/e2e/lib/oidc.mjs and tests/e2e/oidc/provider.mjs):
//   - Keycloak's paths: keycloak-js builds its URLs from `url` and `realm`
//     itself (`{url}/realms/{realm}/protocol/openid-connect/auth`, `/token`,
//     `/logout`, …) and reads no discovery document; the provider is mounted
//     at /realms/app with those routes;
//   - Keycloak's CORS: keycloak-js sends its token requests with
//     `credentials: 'include'`, which Keycloak allows its client's web
//     origins (Access-Control-Allow-Credentials: true);
//   - the claims keycloak-js reads from its tokens: it decodes the access and
//     the refresh token (both JWTs at Keycloak) without verifying either, for
//     `exp`, `iat` (its clock skew), `sid` and `sub`, and fails on a token
//     that has no payload to decode. oidc-provider's tokens stay opaque here
//     (stored, rotated, revoked and introspected by the provider as its
//     own); each is `<its random id>.<its claims as base64url JSON>`, which
//     keycloak-js decodes as it decodes Keycloak's. The first part is no JOSE
//     header, so the provider never mistakes one for a JWT;
//   - refresh tokens rotate with reuse detection, stricter than Keycloak's
//     default ("Revoke Refresh Token" off: a used refresh token stays valid).
//     keycloak-js keeps one refresh token per tab, so each tab rotates its
//     own.
const epochSeconds = () => Math.floor(Date.now() / 1000);

export const dress = {
  issuerPath: '/realms/app',
  providerOverrides: {
    routes: {
      authorization: '/protocol/openid-connect/auth',
      token: '/protocol/openid-connect/token',
      end_session: '/protocol/openid-connect/logout',
      revocation: '/protocol/openid-connect/revoke',
      jwks: '/protocol/openid-connect/certs',
      userinfo: '/protocol/openid-connect/userinfo',
      introspection: '/protocol/openid-connect/token/introspect',
    },
    rotateRefreshToken: true,
  },
  reuseDetection: true,
  modules: ['keycloak-js'],
  appConfig: { realm: 'app' },
  setup({ provider, issuer, appOrigin }) {
    provider.use(async (ctx, next) => {
      try {
        await next();
      } finally {
        if (ctx.get('Origin') === appOrigin && ctx.response.get('Access-Control-Allow-Origin') === appOrigin) {
          ctx.set('Access-Control-Allow-Credentials', 'true');
        }
      }
    });
    for (const [Model, typ] of [
      [provider.AccessToken, 'Bearer'],
      [provider.RefreshToken, 'Refresh'],
    ]) {
      const generate = Model.prototype.generateTokenId;
      Model.prototype.generateTokenId = function generateTokenId() {
        const id = generate.call(this);
        this.iat ||= epochSeconds();
        this.exp ||= this.iat + this.expiration;
        const claims = { typ, iss: issuer, sub: this.accountId, sid: this.sid, azp: this.clientId, iat: this.iat, exp: this.exp };
        return `${id}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
      };
    }
  },
};
