// The OpenID Provider of the OIDC scenarios: oidc-provider (a certified
// OpenID Provider; nothing here implements OAuth), configured like a real
// provider for a single-page app, with access tokens short enough that a test
// sees several of their lifetimes:
//   - a public client (no secret) using the authorization code flow with PKCE;
//   - the refresh_token grant with rotation: every refresh consumes the
//     refresh token and issues a new one, and presenting a consumed one again
//     is `invalid_grant` and revokes the whole grant (oidc-provider's reuse
//     detection);
//   - the revocation endpoint (the app's logout revokes its refresh token);
//   - introspection, for the resource server's bearer-token check, open only
//     to a confidential client of the resource server;
//   - its own login and consent pages (interactions.mjs).
// The provider's own events are the scenarios' counters.
import Provider from 'oidc-provider';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { interactionPages } from './interactions.mjs';

export const CLIENT_ID = 'spa';
const RESOURCE_SERVER_ID = 'resource-server';

/**
 * A provider at `issuer` for the app at `appOrigin`. Returns its request
 * handler (for a node:http server bound to the issuer's address), its
 * counters, the resource server's introspection credentials, and an
 * out-of-band revocation of every grant (an administrator ending the session).
 */
export function openIdProvider({ issuer, appOrigin, accessTokenTtlSecs }) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const resourceServerSecret = randomBytes(24).toString('base64url');
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        token_endpoint_auth_method: 'none',
        application_type: 'web',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [`${appOrigin}/`],
      },
      {
        client_id: RESOURCE_SERVER_ID,
        client_secret: resourceServerSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'sig-1', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // Without `offline_access` the default issues no refresh token; a SPA's
    // session is exactly what the refresh token carries here.
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Every refresh rotates (the default already does for public clients; said
    // here so that the scenarios do not depend on a default).
    rotateRefreshToken: true,
    clientBasedCORS: (_ctx, origin) => origin === appOrigin,
    ttl: {
      AccessToken: accessTokenTtlSecs,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 24 * 3600,
      Grant: 24 * 3600,
      Interaction: 600,
      Session: 24 * 3600,
    },
    features: {
      devInteractions: { enabled: false },
      revocation: {
        enabled: true,
        // A client revokes its own tokens only.
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
      introspection: {
        enabled: true,
        allowedPolicy: (_ctx, client) => client.clientId === RESOURCE_SERVER_ID,
      },
    },
  });

  const counts = {
    codeGrants: 0,
    refreshGrants: 0,
    invalidGrant: 0,
    refreshTokensConsumed: 0,
    refreshTokensRevoked: 0,
    grantsRevoked: 0,
    maxConcurrentTokenRequests: 0,
  };
  // When each refresh grant succeeded or was refused, on the provider's clock (ms).
  const refreshGrantTimes = [];
  const invalidGrantTimes = [];
  const grantIds = new Set();
  // Every refresh token issued (an opaque token's value is its jti).
  const refreshTokenIds = [];
  let tokenRequestsInFlight = 0;

  provider.on('grant.success', (ctx) => {
    const type = ctx.oidc.params.grant_type;
    if (type === 'authorization_code') counts.codeGrants++;
    if (type === 'refresh_token') {
      counts.refreshGrants++;
      refreshGrantTimes.push(Date.now());
    }
  });
  provider.on('grant.error', (_ctx, err) => {
    if (err.error === 'invalid_grant') {
      counts.invalidGrant++;
      invalidGrantTimes.push(Date.now());
    }
  });
  provider.on('refresh_token.consumed', () => counts.refreshTokensConsumed++);
  provider.on('grant.revoked', () => counts.grantsRevoked++);
  provider.on('access_token.saved', (token) => grantIds.add(token.grantId));
  provider.on('refresh_token.saved', (token) => refreshTokenIds.push(token.jti));
  // The token endpoint's concurrency, and which revocations hit a refresh
  // token, seen from the provider's own request context.
  provider.use(async (ctx, next) => {
    const tokenRequest = ctx.method === 'POST' && ctx.path === '/token';
    if (tokenRequest) {
      tokenRequestsInFlight++;
      counts.maxConcurrentTokenRequests = Math.max(counts.maxConcurrentTokenRequests, tokenRequestsInFlight);
    }
    try {
      await next();
    } finally {
      if (tokenRequest) tokenRequestsInFlight--;
    }
    if (ctx.oidc?.route === 'revocation' && ctx.status === 200 && ctx.oidc.entities.RefreshToken) {
      counts.refreshTokensRevoked++;
    }
  });

  const pages = interactionPages(provider);
  const handleProvider = provider.callback();

  return {
    provider,
    handle(req, res) {
      if (pages.handles(req)) {
        pages.handle(req, res).catch((err) => {
          res.statusCode = 500;
          res.end(String(err?.message ?? err));
        });
      } else {
        handleProvider(req, res);
      }
    },
    introspection: {
      endpoint: `${issuer}/token/introspection`,
      authorization: `Basic ${Buffer.from(`${RESOURCE_SERVER_ID}:${resourceServerSecret}`).toString('base64')}`,
    },
    counters: () => ({ ...counts, refreshGrantTimes: [...refreshGrantTimes], invalidGrantTimes: [...invalidGrantTimes] }),
    /** How many of the refresh tokens it issued the provider would still accept. */
    async activeRefreshTokens() {
      const tokens = await Promise.all(refreshTokenIds.map((id) => provider.RefreshToken.find(id)));
      return tokens.filter((token) => token?.isValid).length;
    },
    /**
     * Revokes every grant as an administrator would, through the provider's
     * own models: its tokens first, then the grant (what oidc-provider itself
     * does when it detects a reused refresh token).
     */
    async revokeAllGrants() {
      for (const id of grantIds) {
        await provider.AccessToken.revokeByGrantId(id);
        await provider.RefreshToken.revokeByGrantId(id);
        await provider.AuthorizationCode.revokeByGrantId(id);
        const grant = await provider.Grant.find(id);
        await grant?.destroy();
      }
      return grantIds.size;
    },
  };
}
