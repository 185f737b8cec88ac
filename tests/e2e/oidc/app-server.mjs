// The app's origin in the OIDC scenarios: one library's app (apps/<lib>/:
// its page, the recipe and the test wrapper), the browser modules it imports
// (through the page's import map, no bundler), and the resource server it
// calls with its bearer token:
//
//   GET /api/resource   200 {sub} for an access token the provider issued and
//                       still holds active (its introspection endpoint says
//                       so), else 401
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFile, realpath } from 'node:fs/promises';
import { dirname, extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
};

/** The file under `root` that `rel` names, or null when it would leave `root`. */
async function inside(root, rel) {
  const base = await realpath(root);
  const path = join(base, rel);
  return path === base || path.startsWith(base + sep) ? path : null;
}

/** The file a GET of `pathname` serves from `appDir` or a module the page may load, or null. */
async function staticFile(appDir, modules, pathname) {
  if (pathname === '/') return inside(appDir, 'index.html');
  // What every app exposes to the scenarios (apps/test-app.js, `../test-app.js` from its main.js).
  if (pathname === '/test-app.js') return inside(join(here, 'apps'), 'test-app.js');
  // /modules/<package>/<path>, the package scoped or not.
  const module = /^\/modules\/((?:@[^/]+\/)?[^/]+)\/(.+)$/.exec(pathname);
  if (module) {
    return modules.includes(module[1]) ? inside(join(here, 'node_modules', module[1]), module[2]) : null;
  }
  return inside(appDir, pathname.slice(1));
}

/** POSTs `form` to `url` (http or https, trusting `ca` too); its JSON reply. */
function postForm(url, headers, form, ca) {
  const body = new URLSearchParams(form).toString();
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: 'POST', ca, headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`introspection answered ${res.statusCode}`));
        else resolve(JSON.parse(text));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Handles the app origin's requests: the app of one library (`appDir`,
 * apps/<lib>/), the packages it may load besides keep-session-alive
 * (`modules`), and the resource server; `introspection` is the provider's
 * endpoint, the resource server's credentials for it, and the certificate to
 * trust for it (`ca`, when the provider serves https).
 */
export function appServer({ appDir, modules = [], introspection }) {
  const counts = { apiOk: 0, apiUnauthorized: 0 };
  const served = ['keep-session-alive', ...modules];

  function introspect(token) {
    return postForm(introspection.endpoint, { authorization: introspection.authorization }, { token, token_type_hint: 'access_token' }, introspection.ca);
  }

  async function resource(req, res) {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const info = bearer ? await introspect(bearer) : { active: false };
    if (info.active) counts.apiOk++;
    else counts.apiUnauthorized++;
    res.writeHead(info.active ? 200 : 401, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(info.active ? { sub: info.sub, clientId: info.client_id } : { error: 'invalid_token' }));
  }

  async function handle(req, res) {
    const { pathname } = new URL(req.url, 'http://x');
    if (pathname === '/api/resource') return resource(req, res);
    const path = req.method === 'GET' ? await staticFile(appDir, served, decodeURIComponent(pathname)) : null;
    const body = path ? await readFile(path).catch(() => null) : null;
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(body);
  }

  return {
    handle(req, res) {
      handle(req, res).catch((err) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(err?.message ?? err));
      });
    },
    counters: () => ({ ...counts }),
  };
}
