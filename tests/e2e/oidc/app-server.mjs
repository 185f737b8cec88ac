// The app's origin in the OIDC scenarios: its static page (app/), the three
// browser modules it imports (through the page's import map, no bundler), and
// the resource server it calls with its bearer token:
//
//   GET /api/resource   200 {sub} for an access token the provider issued and
//                       still holds active (its introspection endpoint says
//                       so), else 401
import { readFile, realpath } from 'node:fs/promises';
import { dirname, extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const appDir = join(here, 'app');
// The only packages the page may load, each from its own node_modules folder.
const MODULES = ['keep-session-alive', 'oidc-client-ts', 'jwt-decode'];
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

async function staticFile(pathname) {
  if (pathname === '/') return inside(appDir, 'index.html');
  const module = /^\/modules\/([^/]+)\/(.+)$/.exec(pathname);
  if (module) {
    return MODULES.includes(module[1]) ? inside(join(here, 'node_modules', module[1]), module[2]) : null;
  }
  return inside(appDir, pathname.slice(1));
}

/**
 * Handles the app origin's requests; `introspection` is the provider's
 * endpoint and the resource server's credentials for it.
 */
export function appServer({ introspection }) {
  const counts = { apiOk: 0, apiUnauthorized: 0 };

  async function introspect(token) {
    const res = await fetch(introspection.endpoint, {
      method: 'POST',
      headers: { authorization: introspection.authorization, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });
    if (!res.ok) throw new Error(`introspection answered ${res.status}`);
    return res.json();
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
    const path = req.method === 'GET' ? await staticFile(decodeURIComponent(pathname)) : null;
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
