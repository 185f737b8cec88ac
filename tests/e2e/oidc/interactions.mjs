// The provider's own login and consent pages, written against
// oidc-provider's interaction API (interactionDetails / interactionFinished),
// as a provider's UI is. oidc-provider's devInteractions would do, but their
// page loads a web font from the internet, and nothing here may. Their paths
// are under the provider's mount path (the issuer's path):
//
//   GET  /interaction/:uid          the login form, or the consent form
//   POST /interaction/:uid/login    checks the account's password
//   POST /interaction/:uid/consent  grants what the client asked for
import { strict as assert } from 'node:assert';

/** The one account of the provider. */
export const ACCOUNT = { login: 'alice', password: 'wonderland' };

const ROUTE = /^\/interaction\/([\w-]+)(?:\/(login|consent))?$/;

function page(title, body) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
}

function loginPage(base, uid, error) {
  return page(
    'Sign in to the provider',
    `${error ? `<p role="alert">${error}</p>` : ''}
<form method="post" action="${base}/interaction/${uid}/login">
  <label>Login <input name="login" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Sign in</button>
</form>`,
  );
}

function consentPage(base, uid, clientId) {
  return page(
    'Authorize',
    `<p>${clientId} asks to sign you in.</p>
<form method="post" action="${base}/interaction/${uid}/consent"><button type="submit">Allow</button></form>`,
  );
}

async function formBody(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return new URLSearchParams(text);
}

function send(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

/** The pages of `provider`, mounted at `base` ('' or a path such as '/realms/app'); requests come with the mount path removed. */
export function interactionPages(provider, base = '') {
  return {
    handles: (req) => ROUTE.test(new URL(req.url, 'http://x').pathname),
    async handle(req, res) {
      const [, uid, action] = ROUTE.exec(new URL(req.url, 'http://x').pathname);
      const details = await provider.interactionDetails(req, res);
      assert.equal(details.uid, uid, 'the interaction cookie belongs to this page');
      const { prompt, params, session } = details;
      if (req.method === 'GET' && !action) {
        return send(res, 200, prompt.name === 'login' ? loginPage(base, uid) : consentPage(base, uid, params.client_id));
      }
      if (req.method === 'POST' && action === 'login' && prompt.name === 'login') {
        const form = await formBody(req);
        if (form.get('login') !== ACCOUNT.login || form.get('password') !== ACCOUNT.password) {
          return send(res, 401, loginPage(base, uid, 'Wrong login or password.'));
        }
        return provider.interactionFinished(req, res, { login: { accountId: ACCOUNT.login } }, { mergeWithLastSubmission: false });
      }
      if (req.method === 'POST' && action === 'consent' && prompt.name === 'consent') {
        const grant = details.grantId
          ? await provider.Grant.find(details.grantId)
          : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
        const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details;
        if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
        if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
        for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
          grant.addResourceScope(indicator, scopes.join(' '));
        }
        const grantId = await grant.save();
        return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      }
      return send(res, 400, page('Unexpected step', `<p>${req.method} ${action ?? ''} during ${prompt.name}</p>`));
    },
  };
}
