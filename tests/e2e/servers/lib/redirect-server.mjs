// A tiny cookie-session server (node:http, no dependencies) that answers as
// the frameworks' login guards do once a session is gone: a 302 to a
// sign-in page, on its own origin or on another one (a second port: another
// origin, no CORS), for the scenario that runs in every engine
// (tests/e2e/engines/redirect.test.mjs). It serves what the engine harness
// loads (a blank page at /, the built package at /pkg/) and answers the calls
// that harness makes of a server (base, setNow, close).
//
//   POST /api/login            a new session: 204 + Set-Cookie sid (HttpOnly)
//   POST /api/keepalive        204 with a live session, else 302 to /login
//   POST /api/keepalive-sso    204 with a live session, else 302 to <sign-in origin>/login
//   POST /api/login-redirect   always 302 to /login (a login URL that sends to a form)
//   POST /api/logout           ends the session, 302 to /login
//   GET  /login                the sign-in page (also on the sign-in origin)
//
// Every request is counted as 'METHOD /path STATUS', per origin
// (`await server.state()`: { requests, signInRequests, sessions });
// `dropSessions()` forgets every session.
import { createServer } from 'node:http';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.html': 'text/html; charset=utf-8' };
const PAGE = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>keep-session-alive: redirects</title><link rel="icon" href="data:,"></head><body><h1>App</h1></body></html>';
const SIGN_IN = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head><body><h1>Sign in</h1></body></html>';

async function listen(handler) {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, base: `http://127.0.0.1:${server.address().port}` };
}

export class RedirectServer {
  /** Starts both origins; `pkgDir` is served at /pkg/. */
  static async start({ pkgDir }) {
    const s = new RedirectServer();
    s.pkgDir = pkgDir;
    s.sessions = new Set();
    s.requests = new Map();
    s.signInRequests = new Map();
    const signIn = await listen((req, res) => s.#signIn(req, res));
    s.signIn = signIn.server;
    s.signInBase = signIn.base;
    const app = await listen((req, res) => s.#app(req, res).catch((e) => s.#send(req, res, 500, { 'content-type': 'text/plain' }, String(e))));
    s.server = app.server;
    s.base = app.base;
    return s;
  }

  #count(map, req, status) {
    const key = `${req.method} ${new URL(req.url, 'http://x').pathname} ${status}`;
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  #send(req, res, status, headers = {}, body = '') {
    this.#count(this.requests, req, status);
    res.writeHead(status, { 'cache-control': 'no-store', ...headers });
    res.end(body);
  }

  #signIn(req, res) {
    const status = req.method === 'GET' && req.url.startsWith('/login') ? 200 : 404;
    this.#count(this.signInRequests, req, status);
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    res.end(status === 200 ? SIGN_IN : '');
  }

  #sid(req) {
    const m = /(?:^|;\s*)sid=([0-9a-f]+)/.exec(req.headers.cookie ?? '');
    return m && this.sessions.has(m[1]) ? m[1] : null;
  }

  async #app(req, res) {
    const path = new URL(req.url, 'http://x').pathname;
    const post = req.method === 'POST';
    req.resume(); // bodies are not read
    const toLogin = { location: '/login' };
    if (post && path === '/api/login') {
      const sid = randomBytes(16).toString('hex');
      this.sessions.add(sid);
      return this.#send(req, res, 204, { 'set-cookie': `sid=${sid}; Path=/; HttpOnly; SameSite=Lax` });
    }
    if (post && path === '/api/keepalive') return this.#sid(req) ? this.#send(req, res, 204) : this.#send(req, res, 302, toLogin);
    if (post && path === '/api/keepalive-sso') {
      return this.#sid(req) ? this.#send(req, res, 204) : this.#send(req, res, 302, { location: `${this.signInBase}/login` });
    }
    if (post && path === '/api/login-redirect') return this.#send(req, res, 302, toLogin);
    if (post && path === '/api/logout') {
      const sid = this.#sid(req);
      if (sid) this.sessions.delete(sid);
      return this.#send(req, res, 302, { ...toLogin, 'set-cookie': 'sid=; Path=/; Max-Age=0' });
    }
    if (req.method === 'GET' && path === '/login') return this.#send(req, res, 200, { 'content-type': TYPES['.html'] }, SIGN_IN);
    if (req.method === 'GET' && path === '/') return this.#send(req, res, 200, { 'content-type': TYPES['.html'] }, PAGE);
    if (req.method === 'GET' && path.startsWith('/pkg/')) {
      const file = normalize(join(this.pkgDir, decodeURIComponent(path.slice('/pkg/'.length))));
      if (!file.startsWith(this.pkgDir + sep)) return this.#send(req, res, 404);
      try {
        const body = await readFile(file);
        return this.#send(req, res, 200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }, body);
      } catch {
        return this.#send(req, res, 404);
      }
    }
    return this.#send(req, res, 404);
  }

  /** { requests: { 'METHOD /path STATUS': n }, signInRequests (on the other origin), sessions }. */
  async state() {
    return { requests: Object.fromEntries(this.requests), signInRequests: Object.fromEntries(this.signInRequests), sessions: this.sessions.size };
  }

  async dropSessions() {
    this.sessions.clear();
  }

  /** The engine harness sets the server's clock with each step; sessions here end only when dropped. */
  async setNow() {}

  async close() {
    for (const s of [this.server, this.signIn]) {
      s?.closeAllConnections();
      await new Promise((r) => (s ? s.close(() => r()) : r()));
    }
  }
}
