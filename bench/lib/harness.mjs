// The one place that starts things for the bench: paths, Chromium, Firefox,
// the static file server, ksa-server, redis-server. Every process and server started
// here binds 127.0.0.1 on a port the OS picks, and is registered with
// `cleanup()` so that a failing part cannot leave anything running.
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromiumArgs, chromiumPath } from '../../scripts/lib/chromium.mjs';

export const benchDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const root = resolve(benchDir, '..');
export const pkgDir = join(root, 'pkg');
export const wwwDir = join(benchDir, 'www');
/** Generated bundles (gitignored); served at /out/. */
export const outDir = join(benchDir, '.out');
export const serverBin = process.env.KSA_SERVER ?? join(root, 'target', 'release', 'ksa-server');
export const sdkWasm = join(pkgDir, 'keep_session_alive_bg.wasm');
export const sdkGlue = join(pkgDir, 'keep_session_alive.js');

export const HOST = '127.0.0.1';
/** Upper bound for any single wait on a child process or page, so a broken build fails instead of hanging. */
export const WAIT_MS = 20_000;

export const pkgReady = () => existsSync(sdkWasm) && existsSync(sdkGlue);

const cleanups = [];
/** Stops everything started through this module, newest first. */
export async function cleanup() {
  while (cleanups.length) await cleanups.pop()().catch(() => {});
}
function onCleanup(fn) {
  cleanups.push(fn);
  return () => {
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
    return fn();
  };
}

// ------------------------------------------------------------------ browsers

/** The engines of the CPU and start-up tables' columns, in order. */
export const ENGINES = [
  { id: 'chromium', name: 'Chromium' },
  { id: 'firefox', name: 'Firefox' },
];

/**
 * Debian's Chromium through playwright-core; nothing downloads a browser.
 * `args`: extra command-line flags (the start-up split's A/B).
 */
export async function launchChromium(args = []) {
  const browser = await chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs, ...args], timeout: WAIT_MS });
  onCleanup(() => browser.close());
  return browser;
}

export const firefoxPath = process.env.FIREFOX ?? '/usr/bin/firefox-esr';

/**
 * Debian's Firefox ESR through puppeteer-core over WebDriver BiDi (a fresh
 * profile that puppeteer removes on close); nothing downloads a browser.
 * Firefox rounds performance.now() to 1 ms for pages that are not
 * cross-origin isolated; the pref lifts that, so its figures have the
 * resolution of Chromium's (0.1 ms) or better.
 */
export async function launchFirefox() {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: firefoxPath,
    headless: true,
    timeout: WAIT_MS,
    extraPrefsFirefox: { 'privacy.reduceTimerPrecision': false },
  });
  onCleanup(() => browser.close());
  return browser;
}

/** "Chromium 156.0…" or "Firefox 153.8.0", for the results' header. */
export async function browserName(browser) {
  const version = await browser.version();
  return /^firefox\//i.test(version) ? `Firefox ${version.replace(/^firefox\//i, '')}` : `Chromium ${version}`;
}

/**
 * A fresh browser context (its own cache, storage, Web Locks and
 * BroadcastChannels) of either browser: Playwright's `newContext()`,
 * puppeteer's `createBrowserContext()`. Both answer `newPage()` and
 * `close()`, and their pages answer alike what the parts call (goto,
 * evaluate(fn, arg), bringToFront, setDefaultTimeout, on('pageerror')).
 */
export function newContext(browser) {
  return typeof browser.newContext === 'function' ? browser.newContext() : browser.createBrowserContext();
}

/** A page whose uncaught errors go to stderr: one means that page's figures are suspect. */
export async function newPage(context) {
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.on('pageerror', (e) => console.error(`bench: page error on ${page.url()}: ${e.message}`));
  return page;
}

// ------------------------------------------------------------- static files

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/**
 * Serves bench/www at /, bench/.out at /out/ and pkg/ at /pkg/, plus the few
 * endpoints the pages without the reference server call: keepalive 204,
 * anything else under /api/ 401 (nobody is signed in there).
 * Returns { origin, close }.
 */
export async function startStaticServer() {
  const mounts = [
    ['/pkg/', pkgDir],
    ['/out/', outDir],
    ['/', wwwDir],
  ];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, `http://${HOST}`);
    if (url.pathname.startsWith('/api/')) {
      const status = req.method === 'POST' && url.pathname === '/api/keepalive' ? 204 : 401;
      res.writeHead(status, { 'cache-control': 'no-store', 'content-type': 'application/json' });
      return res.end(status === 204 ? undefined : '{"error":"not signed in"}');
    }
    const path = url.pathname === '/' ? '/index.html' : url.pathname;
    for (const [prefix, dir] of mounts) {
      if (!path.startsWith(prefix)) continue;
      const file = resolve(dir, '.' + decodeURIComponent(path.slice(prefix.length - 1)));
      if (!file.startsWith(dir + sep)) break;
      const data = await readFile(file).catch(() => null);
      if (!data) break;
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      return res.end(data);
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  // Keep-alive sockets from Chromium would otherwise hold close() open.
  server.keepAliveTimeout = 1000;
  await new Promise((ok, fail) => server.once('error', fail).listen(0, HOST, ok));
  const close = onCleanup(() => new Promise((ok) => { server.closeAllConnections(); server.close(() => ok()); }));
  return { origin: `http://${HOST}:${server.address().port}`, close };
}

// ---------------------------------------------------------------- processes

/** A TCP port that was free a moment ago (for redis-server, which cannot report the one it picked). */
export async function freePort() {
  const srv = createNetServer();
  await new Promise((ok, fail) => srv.once('error', fail).listen(0, HOST, ok));
  const { port } = srv.address();
  await new Promise((ok) => srv.close(ok));
  return port;
}

/** Spawns a child, waits until a line of its stdout matches `ready`, returns { child, match, stop }. */
async function spawnUntil(cmd, args, { env = process.env, ready, what }) {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const stop = onCleanup(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const exited = new Promise((ok) => child.once('exit', ok));
    if ((await Promise.race([exited.then(() => true), sleep(3000).then(() => false)])) === false) child.kill('SIGKILL');
  });
  const match = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${what} not ready after ${WAIT_MS} ms:\n${output}`)), WAIT_MS);
    const look = (chunk) => {
      output += chunk;
      const m = output.match(ready);
      if (m) {
        clearTimeout(timer);
        ok(m);
      }
    };
    child.stdout.setEncoding('utf8').on('data', look);
    child.stderr.setEncoding('utf8').on('data', (c) => (output += c));
    child.once('error', (e) => { clearTimeout(timer); fail(e); });
    child.once('exit', (code) => { clearTimeout(timer); fail(new Error(`${what} exited (${code}) before it was ready:\n${output}`)); });
  });
  return { child, match, stop };
}

/**
 * Starts the reference server on a port of its choosing with the test
 * counters on. `flags` are extra ksa-server flags; `redisUrl` selects the
 * Redis store. Returns { origin, counters(), reset(), stop() }.
 */
export async function startKsaServer({ flags = [], redisUrl, wwwDir: www = wwwDir } = {}) {
  if (!existsSync(serverBin)) throw new Error(`bench: ${serverBin} is missing (scripts/bench builds it)`);
  // The store follows REDIS_URL only: unset it for the memory store, whatever the caller's shell has.
  const env = { ...process.env };
  delete env.REDIS_URL;
  if (redisUrl) env.REDIS_URL = redisUrl;
  const args = ['--addr', `${HOST}:0`, '--test-endpoints', '--www-dir', www, '--pkg-dir', pkgDir, ...flags];
  const { match, stop } = await spawnUntil(serverBin, args, { env, ready: /listening on (http:\/\/[^/\s]+)\//, what: 'ksa-server' });
  const origin = match[1];
  return {
    origin,
    stop,
    async counters() {
      const r = await fetch(`${origin}/api/test/counters`);
      if (!r.ok) throw new Error(`ksa-server counters: HTTP ${r.status}`);
      return r.json();
    },
    async reset() {
      const r = await fetch(`${origin}/api/test/reset`, { method: 'POST' });
      if (!r.ok) throw new Error(`ksa-server reset: HTTP ${r.status}`);
    },
  };
}

/** A private redis-server without persistence. Returns { url, stop }. */
export async function startRedis() {
  const port = await freePort();
  const { stop } = await spawnUntil(
    'redis-server',
    ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no'],
    { ready: /Ready to accept connections/, what: 'redis-server' },
  );
  return { url: `redis://${HOST}:${port}/`, stop };
}

/** Counter value for a route, whatever prefix the server's router reports it under. */
export function routeCount(counters, route) {
  let n = 0;
  for (const [k, v] of Object.entries(counters.requests ?? {})) if (k === route || k.endsWith(route)) n += v;
  return n;
}
