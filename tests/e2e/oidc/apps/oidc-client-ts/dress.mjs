// The suite's OpenID Provider as it is, for oidc-client-ts 3 (read by
// tests/e2e/lib/oidc.mjs and tests/e2e/oidc/provider.mjs): oidc-client-ts
// reads the provider's discovery document, so oidc-provider's own paths
// serve; refresh tokens rotate with reuse detection.
export const dress = {
  issuerPath: '',
  reuseDetection: true,
  modules: ['oidc-client-ts', 'jwt-decode'],
};
