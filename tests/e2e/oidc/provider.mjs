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
// Each library's app dresses it as the provider the library is made for
// (apps/<lib>/dress.mjs, described in apps/README.md): its paths, its
// rotation policy, what its real counterpart adds.
// The provider's own events are the scenarios' counters, with one of ours:
// `reuse`, every presentation of a refresh token that had already been
// rotated, counted whether or not the dress refuses it.
import Provider from 'oidc-provider';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { interactionPages } from './interactions.mjs';

export const CLIENT_ID = 'spa';
const RESOURCE_SERVER_ID = 'resource-server';

/** `base` with `overrides` merged in, plain objects one level deep. */
function merge(base, overrides = {}) {
  const out = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const plain = (v) => v && typeof v === 'object' && !Array.isArray(v);
    out[key] = plain(value) && plain(base[key]) ? { ...base[key], ...value } : value;
  }
  return out;
}

/**
 * A provider for the app at `appOrigin`, mounted at `issuerPath` of
 * `providerOrigin` (its issuer is the two together), dressed by `dress`
 * (apps/README.md). Returns its request handler (for a node:http(s) server
 * bound to the origin's address), its counters, the resource server's
 * introspection endpoint and credentials, and an out-of-band revocation of
 * every grant (an administrator ending the session).
 */
export function openIdProvider({ providerOrigin, appOrigin, accessTokenTtlSecs, dress = {} }) {
  // '' or '/realms/app': where the provider's routes start; '/' only makes
  // the issuer end with a slash.
  const mountPath = (dress.issuerPath ?? '').replace(/\/$/, '');
  const issuer = providerOrigin + (dress.issuerPath ?? '');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const resourceServerSecret = randomBytes(24).toString('base64url');
  const overrides = dress.providerOverrides ?? {};
  const routes = overrides.routes ?? {};
  const tokenRoute = routes.token ?? '/token';
  const provider = new Provider(issuer, merge({
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
    interactions: { url: (_ctx, interaction) => `${mountPath}/interaction/${interaction.uid}` },
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
        enabled: dress.revocation !== false,
        // A client revokes its own tokens only.
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
      introspection: {
        enabled: true,
        allowedPolicy: (_ctx, client) => client.clientId === RESOURCE_SERVER_ID,
      },
    },
  }, overrides));

  const counts = {
    codeGrants: 0,
    refreshGrants: 0,
    invalidGrant: 0,
    refreshTokensConsumed: 0,
    refreshTokensRevoked: 0,
    grantsRevoked: 0,
    maxConcurrentTokenRequests: 0,
    reuse: 0,
  };
  // When each refresh grant succeeded or was refused, on the provider's clock (ms).
  const refreshGrantTimes = [];
  const invalidGrantTimes = [];
  // What the authorization endpoint answered instead of a code, in order
  // (login_required, consent_required, …).
  const authorizationErrors = [];
  const grantIds = new Set();
  // Every refresh token issued (an opaque token's value is its jti).
  const refreshTokenIds = [];
  let tokenRequestsInFlight = 0;
  // Refresh tokens presented to a refresh grant that rotated them, or is
  // rotating them now (so that two presentations at once count too).
  const rotated = new Set();

  // Every presentation of a refresh token to the refresh grant goes through
  // RefreshToken.find, within the token request's context.
  const { RefreshToken } = provider;
  const findRefreshToken = RefreshToken.find;
  RefreshToken.find = async function find(value, options) {
    const token = await findRefreshToken.call(this, value, options);
    const ctx = Provider.ctx;
    const presented = ctx?.oidc?.route === 'token' && ctx.oidc.params?.grant_type === 'refresh_token' && value === ctx.oidc.params.refresh_token;
    if (presented) {
      if (token?.consumed || rotated.has(value)) {
        counts.reuse++;
      } else if (token) {
        rotated.add(value);
        ctx.state.presentedRefreshToken = value;
      }
    }
    return token;
  };
  if (dress.reuseDetection === false) {
    // Rotation without reuse detection (Keycloak's default, Entra ID): the
    // refresh grant still issues a new refresh token, but the one presented
    // is not marked consumed, so it stays valid until it expires.
    RefreshToken.prototype.consume = async function consume() {
      this.emit('consumed');
    };
  }

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
  provider.on('authorization.error', (_ctx, err) => authorizationErrors.push(err.error));
  provider.on('refresh_token.consumed', () => counts.refreshTokensConsumed++);
  provider.on('grant.revoked', () => counts.grantsRevoked++);
  provider.on('access_token.saved', (token) => grantIds.add(token.grantId));
  provider.on('refresh_token.saved', (token) => refreshTokenIds.push(token.jti));
  // The token endpoint's concurrency, and which revocations hit a refresh
  // token, seen from the provider's own request context.
  provider.use(async (ctx, next) => {
    const tokenRequest = ctx.method === 'POST' && ctx.path === tokenRoute;
    if (tokenRequest) {
      tokenRequestsInFlight++;
      counts.maxConcurrentTokenRequests = Math.max(counts.maxConcurrentTokenRequests, tokenRequestsInFlight);
    }
    try {
      await next();
    } finally {
      if (tokenRequest) tokenRequestsInFlight--;
      // Presented but not rotated (refused for another cause): not spent.
      if (ctx.state.presentedRefreshToken && !ctx.oidc?.entities?.RotatedRefreshToken) rotated.delete(ctx.state.presentedRefreshToken);
    }
    if (ctx.oidc?.route === 'revocation' && ctx.status === 200 && ctx.oidc.entities.RefreshToken) {
      counts.refreshTokensRevoked++;
    }
  });

  dress.setup?.({ provider, issuer, providerOrigin, appOrigin });

  const pages = interactionPages(provider, mountPath);
  const handleProvider = provider.callback();

  return {
    provider,
    issuer,
    handle(req, res) {
      if (mountPath) {
        // Mounted as a framework mounts it: oidc-provider finds its mount
        // path from originalUrl (or baseUrl) and the rest of the URL.
        const inside = req.url === mountPath || req.url.startsWith(`${mountPath}/`) || req.url.startsWith(`${mountPath}?`);
        if (!inside) {
          res.writeHead(404).end();
          return;
        }
        req.originalUrl = req.url;
        req.baseUrl = mountPath;
        req.url = req.url.slice(mountPath.length) || '/';
        if (req.url.startsWith('?')) req.url = `/${req.url}`;
      }
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
      endpoint: `${providerOrigin}${mountPath}${routes.introspection ?? '/token/introspection'}`,
      authorization: `Basic ${Buffer.from(`${RESOURCE_SERVER_ID}:${resourceServerSecret}`).toString('base64')}`,
    },
    counters: () => ({
      ...counts,
      refreshGrantTimes: [...refreshGrantTimes],
      invalidGrantTimes: [...invalidGrantTimes],
      authorizationErrors: [...authorizationErrors],
    }),
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
