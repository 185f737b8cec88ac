// The suite's OpenID Provider dressed as Auth0 for @auth0/auth0-spa-js 2
// (apps/README.md):
//   - https, as Auth0 always is: the app gives auth0-spa-js a `domain`
//     without a scheme ('127.0.0.1:port', as 'example.eu.auth0.com'), to
//     which it adds https://;
//   - the issuer is the origin with a trailing slash: auth0-spa-js checks the
//     ID token's `iss` against `https://${domain}/`;
//   - Auth0's endpoint paths: auth0-spa-js builds its URLs from the domain
//     itself (`/authorize`, `/oauth/token`, `/oauth/revoke`, `/v2/logout`)
//     and reads no discovery document;
//   - refresh token rotation with reuse detection, as Auth0's: a rotated
//     refresh token presented again is invalid_grant and revokes the family;
//   - a revocation endpoint (Auth0's /oauth/revoke), which the recipe's
//     logout calls.
export const dress = {
  https: true,
  issuerPath: '/',
  providerOverrides: {
    routes: {
      authorization: '/authorize',
      token: '/oauth/token',
      revocation: '/oauth/revoke',
      end_session: '/v2/logout',
    },
  },
  reuseDetection: true,
  revocation: true,
  modules: ['@auth0/auth0-spa-js'],
};
