// The server apps of tests/e2e/servers as child processes on 127.0.0.1, each
// with its test endpoints on:
//
//   DjangoApp    Django's runserver over ../django (its .venv, which
//                scripts/test makes), a fresh SQLite database per start
//   ExpressApp   node ../express/server.mjs (its node_modules, which
//                scripts/test installs), sessions in express-session's MemoryStore
//
// Both answer the same calls, so that one scenario runs against either:
//   app.base                   the app's origin
//   app.routes                 { keepalive, logout, signIn }: 'METHOD /path' keys and the sign-in page
//   await app.state()          { requests: { 'METHOD /path STATUS': n }, sessions, signedIn }
//   await app.dropSessions()   the server forgets every session (a store flush, a restart)
//   await app.close()
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, stopChild, waitForLine } from '../../lib/server.mjs';
import { pkgDir } from '../../lib/paths.mjs';

export const serversDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const djangoDir = join(serversDir, 'django');
export const expressDir = join(serversDir, 'express');
export const USER = { username: 'alice', password: 'wonderland' };
// Upper bound, in real milliseconds, for a process to start or stop.
const START_MS = 30_000;

/** What the two apps share: the child process, its output, the test endpoints. */
class App {
  spawn(command, args, env, cwd) {
    this.output = '';
    this.child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const s of [this.child.stdout, this.child.stderr]) {
      s.setEncoding('utf8');
      s.on('data', (d) => (this.output += d));
    }
  }

  async #call(method, path) {
    const res = await fetch(`${this.base}${path}`, { method });
    const text = await res.text();
    if (!res.ok) throw new Error(`${this.name} ${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  }

  state() {
    return this.#call('GET', '/test/state');
  }

  dropSessions() {
    return this.#call('POST', '/test/drop-sessions');
  }

  /** The last lines the process printed (its request log), for a failure message. */
  tail(lines = 40) {
    return this.output.split('\n').slice(-lines).join('\n');
  }

  async close() {
    await stopChild(this.child, START_MS);
    if (this.tmp) await rm(this.tmp, { recursive: true, force: true });
  }
}

export class DjangoApp extends App {
  name = 'django';
  routes = { keepalive: 'POST /api/keepalive/', logout: 'POST /accounts/logout/', signIn: '/accounts/login/' };

  /** Django 5.2 (runserver) with SESSION_COOKIE_AGE = `sessionSeconds`. */
  static async start({ sessionSeconds }) {
    const python = join(djangoDir, '.venv/bin/python');
    if (!existsSync(python)) {
      throw new Error(`${python} is missing: scripts/test makes it (python3 -m venv ${djangoDir}/.venv && ${djangoDir}/.venv/bin/pip install -r ${djangoDir}/requirements.txt)`);
    }
    const app = new DjangoApp();
    app.tmp = await mkdtemp(join(tmpdir(), 'ksa-django-'));
    const env = {
      DJANGO_SETTINGS_MODULE: 'ksa_site.settings',
      KSA_DJANGO_DB: join(app.tmp, 'db.sqlite3'),
      KSA_SESSION_SECONDS: String(sessionSeconds),
      KSA_PKG_DIR: pkgDir,
      KSA_TEST_ENDPOINTS: '1',
      PYTHONUNBUFFERED: '1',
      PYTHONDONTWRITEBYTECODE: '1',
    };
    // Tables and the user, then the server.
    await promisify(execFile)(python, ['manage.py', 'prepare_e2e'], { cwd: djangoDir, env: { ...process.env, ...env } });
    const port = await freePort();
    app.spawn(python, ['manage.py', 'runserver', `127.0.0.1:${port}`, '--noreload'], env, djangoDir);
    const m = await waitForLine(app.child, /Starting development server at (http:\/\/[^/\s]+)\//, 'django runserver', { log: () => app.tail(), ms: START_MS });
    app.base = m[1];
    return app;
  }
}

export class ExpressApp extends App {
  name = 'express';
  routes = { keepalive: 'POST /api/keepalive', logout: 'POST /logout', signIn: '/login' };

  /**
   * Express 5 + express-session (cookie.maxAge `sessionMs`, rolling), Passport, connect-ensure-login,
   * csrf-sync; `loginPage` 'same-origin' or 'other-origin' (where ensureLoggedIn sends).
   */
  static async start({ sessionMs, loginPage = 'same-origin' }) {
    if (!existsSync(join(expressDir, 'node_modules/express'))) {
      throw new Error(`${expressDir}/node_modules is missing: scripts/test installs it (cd ${expressDir} && npm ci)`);
    }
    const app = new ExpressApp();
    const env = { KSA_SESSION_MS: String(sessionMs), KSA_PKG_DIR: pkgDir, KSA_LOGIN_PAGE: loginPage, KSA_TEST_ENDPOINTS: '1' };
    app.spawn(process.execPath, ['server.mjs'], env, expressDir);
    const m = await waitForLine(app.child, /sign-in on (http:\/\/\S+)\s+app on (http:\/\/\S+)\s/, 'express app', { log: () => app.tail(), ms: START_MS });
    app.signInOrigin = m[1];
    app.base = m[2];
    return app;
  }
}

/** Requests in `state` whose 'METHOD /path STATUS' key starts with `route` ('METHOD /path'), by status. */
export function byStatus(state, route) {
  const out = {};
  for (const [key, n] of Object.entries(state.requests)) {
    const at = key.lastIndexOf(' ');
    if (key.slice(0, at) === route) out[key.slice(at + 1)] = n;
  }
  return out;
}

/** How many requests to `route` `after` has more than `before`, by status ({} when none). */
export function newRequests(before, after, route) {
  const was = byStatus(before, route);
  const out = {};
  for (const [status, n] of Object.entries(byStatus(after, route))) if (n > (was[status] ?? 0)) out[status] = n - (was[status] ?? 0);
  return out;
}

export const total = (counts) => Object.values(counts).reduce((a, b) => a + b, 0);

/**
 * The recipe lines of an app's page script (between its `--- the recipe`
 * and `--- the tests' handle` markers) that set up the keeper: `const`
 * helpers and the keepaliveUrl, logoutUrl and headers options, each without
 * its trailing comment, for a check that the npm README has them verbatim.
 */
export function recipeLines(source) {
  const part = source.slice(source.indexOf('// --- the recipe'), source.indexOf("// --- the tests' handle"));
  return part
    .split('\n')
    .map((l) => l.replace(/\s+\/\/ .*$/, '').trim())
    .filter((l) => /^(const |keepaliveUrl:|logoutUrl:|headers:)/.test(l));
}

/** The npm README's section under `### <heading>`, up to the next heading. */
export function readmeSection(readme, heading) {
  const start = readme.indexOf(`\n### ${heading}\n`);
  if (start < 0) return '';
  const next = readme.slice(start + 1).search(/\n##+ /);
  return next < 0 ? readme.slice(start) : readme.slice(start, start + 1 + next);
}
