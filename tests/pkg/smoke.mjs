#!/usr/bin/env node
// Browser smoke test of the built web package (pkg/, minified glue and
// import-renamed .wasm) in the system Chromium, driven by playwright-core.
// Nothing downloads a browser: CHROMIUM=/path overrides /usr/bin/chromium.
//
//   node tests/pkg/smoke.mjs [PKG_DIR]   (default: pkg/)
//
// A Node http server on 127.0.0.1 (port chosen by the OS) serves the package
// at /pkg/, an empty page at / and fake endpoints:
//   POST /login    -> {"accessToken":"tok-1","expiresIn":3600}
//   POST /refresh  -> {"accessToken":"tok-r<n>","expiresIn":3600} (a new token each time)
//   POST /logout   -> 204
//   GET  /api/echo -> {"authorization": <the request's Authorization header>}
// The page runs init(), an options error, login, getAccessToken, fetch, and
// a second keeper in the same page that must hear the first one's logout
// (BroadcastChannel). Then two more tabs without BroadcastChannel use the
// localStorage fallback: a login in tab A signs tab B in, B fetches its own
// token from /refresh (the fallback carries no token), no token ever shows up
// in localStorage or sessionStorage, and A's logout signs B out (reason
// "user", remote). Any console error or page error fails the test.
import { chromium } from 'playwright-core';
import { chromiumArgs, chromiumPath } from '../../scripts/lib/chromium.mjs';
import { createServer } from 'node:http';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { resolve, dirname, join, extname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pkgDir = resolve(process.argv[2] ?? join(root, 'pkg'));
// Upper bound for any single wait, so that a broken build fails instead of
// hanging; the test never asserts on how long anything took.
const WAIT_MS = 15_000;
// Polling for another tab's reaction: at most WAIT_MS / POLL_MS looks.
const POLL_MS = 100;

let failures = 0;
function check(ok, what, detail = '') {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${!ok && detail !== '' ? `: ${detail}` : ''}`);
  if (!ok) failures++;
  return ok;
}

// promise, or fallback if it has not settled after WAIT_MS.
function within(promise, fallback) {
  let timer;
  const late = new Promise((r) => (timer = setTimeout(() => r(fallback), WAIT_MS)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// The last value of page.evaluate(fn, arg) after it satisfied ok, or after
// a bounded number of looks POLL_MS apart.
async function until(page, fn, arg, ok) {
  let value;
  for (let i = 0; i < WAIT_MS / POLL_MS; i++) {
    value = await page.evaluate(fn, arg);
    if (ok(value)) break;
    await sleep(POLL_MS);
  }
  return value;
}

// ------------------------------------------------------------------ server

const seen = { login: [], refresh: 0, logout: 0, echo: [], unexpected: [] };
// Every access token the server handed out (none may ever reach storage).
const issued = [];
let logoutSeen;
const logoutReached = new Promise((r) => (logoutSeen = r));
const types = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.ts': 'text/plain' };
const page = '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>keep-session-alive smoke test</title><p>smoke test</p>\n';

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function body(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://127.0.0.1');
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(page);
    }
    if (route === 'POST /login') {
      seen.login.push({ body: await body(req), xrw: req.headers['x-requested-with'] ?? null });
      issued.push('tok-1');
      return json(res, 200, { accessToken: 'tok-1', expiresIn: 3600 });
    }
    if (route === 'POST /refresh') {
      seen.refresh++;
      issued.push(`tok-r${seen.refresh}`);
      return json(res, 200, { accessToken: `tok-r${seen.refresh}`, expiresIn: 3600 });
    }
    if (route === 'POST /logout') {
      seen.logout++;
      logoutSeen();
      res.writeHead(204);
      return res.end();
    }
    if (route === 'GET /api/echo') {
      seen.echo.push(req.headers.authorization ?? null);
      return json(res, 200, { authorization: req.headers.authorization ?? null });
    }
    if (req.method === 'GET' && url.pathname.startsWith('/pkg/')) {
      const file = resolve(pkgDir, '.' + decodeURIComponent(url.pathname.slice('/pkg'.length)));
      if (file.startsWith(pkgDir + sep)) {
        const data = await readFile(file).catch(() => null);
        if (data) {
          res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
          return res.end(data);
        }
      }
    }
    seen.unexpected.push(route);
    json(res, 404, { error: 'not found' });
  } catch (err) {
    seen.unexpected.push(`${req.method} ${req.url}: ${err}`);
    if (!res.headersSent) json(res, 500, { error: String(err) });
  }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;

// ------------------------------------------------------------------ browser

const profile = await mkdtemp(join(tmpdir(), 'ksa-smoke-'));
let context;
const problems = [];
const guard = setTimeout(() => {
  console.error(`smoke: still running after ${(8 * WAIT_MS) / 1000} s; giving up`);
  process.exit(1);
}, 8 * WAIT_MS);

try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
  });
  const tab = context.pages()[0] ?? (await context.newPage());
  tab.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  tab.on('pageerror', (err) => problems.push(`page error: ${err.message}`));

  await tab.goto(`${base}/`, { waitUntil: 'load' });
  const inPage = (fn, arg) => tab.evaluate(fn, arg);

  // init() fetches the .wasm next to the glue (new URL(…, import.meta.url)).
  const init = await inPage(async () => {
    const mod = await import('/pkg/keep_session_alive.js');
    await mod.default();
    window.ksa = mod;
    return Object.keys(mod).sort().join(',');
  });
  check(init === 'ActivityHold,SessionKeeper,default,initSync', 'import the glue and await init(): exports ActivityHold, SessionKeeper, init and initSync', init);

  const ctor = await inPage(() => {
    const opts = { loginUrl: '/login', refreshUrl: '/refresh', logoutUrl: '/logout' };
    window.keeper = new window.ksa.SessionKeeper(opts);
    window.sibling = new window.ksa.SessionKeeper(opts);
    return window.keeper.constructor.name;
  });
  check(ctor === 'SessionKeeper', 'new SessionKeeper({ loginUrl, refreshUrl, logoutUrl }) (twice: keeper and sibling)', ctor);

  const nope = await inPage(() => {
    try {
      new window.ksa.SessionKeeper({ nope: 1 });
      return { threw: false };
    } catch (e) {
      return { threw: true, isError: e instanceof Error, message: String(e?.message) };
    }
  });
  check(nope.threw && nope.isError && /\bnope\b/.test(nope.message), 'new SessionKeeper({ nope: 1 }) throws an Error naming `nope`', JSON.stringify(nope));

  // Both restore from the refresh cookie (POST /refresh) first; wait until
  // that is over so the login below is not raced by the restore.
  await tab.waitForFunction(() => !window.keeper.state.restoring && !window.sibling.state.restoring, null, { timeout: WAIT_MS });

  const login = await inPage(async () => {
    await window.keeper.login({ u: 'a' });
    return window.keeper.state.authenticated;
  });
  check(login === true, 'await keeper.login({ u: "a" }); keeper.state.authenticated === true', login);
  const sent = seen.login.at(-1);
  check(seen.login.length === 1 && sent.body === '{"u":"a"}', 'POST /login carried the body as JSON', JSON.stringify(seen.login));
  check(sent?.xrw === 'XMLHttpRequest', 'POST /login carried X-Requested-With: XMLHttpRequest', sent?.xrw);

  const token = await inPage(() => window.keeper.getAccessToken());
  check(token === 'tok-1', 'await keeper.getAccessToken() === "tok-1"', token);

  const echo = await inPage(async () => {
    const res = await window.keeper.fetch('/api/echo');
    return { status: res.status, body: await res.json() };
  });
  check(echo.status === 200 && echo.body.authorization === 'Bearer tok-1', 'keeper.fetch("/api/echo") sent Authorization: Bearer tok-1', JSON.stringify(echo));

  const siblingToken = await inPage(() => window.sibling.getAccessToken());
  check(siblingToken === 'tok-1', 'the sibling keeper got tok-1 from the login over BroadcastChannel', siblingToken);

  const logout = await inPage(async (waitMs) => {
    const heard = new Promise((r) => window.sibling.addEventListener('logout', (e) => r(e.detail)));
    await window.keeper.logout();
    let timer;
    const late = new Promise((r) => (timer = setTimeout(() => r('no logout event'), waitMs)));
    const detail = await Promise.race([heard, late]).finally(() => clearTimeout(timer));
    return { detail, keeper: window.keeper.state.authenticated, sibling: window.sibling.state.authenticated };
  }, WAIT_MS);
  check(logout.detail?.reason === 'user' && logout.detail?.remote === true, 'after await keeper.logout(), the sibling hears a logout event (reason "user", remote)', JSON.stringify(logout.detail));
  check(logout.keeper === false && logout.sibling === false, 'both keepers are signed out', JSON.stringify(logout));
  const reached = await within(logoutReached.then(() => true), false);
  check(reached && seen.logout === 1, 'POST /logout reached the server once', `${seen.logout} request(s)`);

  await inPage(() => {
    window.keeper.dispose();
    window.sibling.dispose();
  });

  // ---------------------------------------------- localStorage fallback
  // Two tabs of the same origin without BroadcastChannel: the keepers carry
  // their messages through localStorage + `storage` events (which fire only
  // in the other documents) and must never write a token there.
  const channel = 'ksa-smoke-fallback';
  const openTab = async (name) => {
    const p = await context.newPage();
    p.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`tab ${name}: console error: ${msg.text()}`);
    });
    p.on('pageerror', (err) => problems.push(`tab ${name}: page error: ${err.message}`));
    // Before any script of the page: no BroadcastChannel, and a record of
    // every storage write of this tab and every storage event it receives.
    await p.addInitScript(() => {
      delete window.BroadcastChannel;
      window.storageLog = [];
      const area = (s) => (s === window.localStorage ? 'localStorage' : s === window.sessionStorage ? 'sessionStorage' : '?');
      const setItem = Storage.prototype.setItem;
      Storage.prototype.setItem = function (key, value) {
        window.storageLog.push({ how: 'setItem', area: area(this), key: String(key), value: String(value) });
        return setItem.call(this, key, value);
      };
      window.addEventListener('storage', (e) =>
        window.storageLog.push({ how: 'event', area: area(e.storageArea), key: e.key, value: e.newValue }),
      );
    });
    await p.goto(`${base}/`, { waitUntil: 'load' });
    const ready = await p.evaluate(async (channelName) => {
      const mod = await import('/pkg/keep_session_alive.js');
      await mod.default();
      window.keeper = new mod.SessionKeeper({ loginUrl: '/login', refreshUrl: '/refresh', logoutUrl: '/logout', channelName });
      window.events = [];
      for (const type of ['login', 'logout', 'refresh']) {
        window.keeper.addEventListener(type, (e) => window.events.push({ type, detail: e.detail }));
      }
      return typeof window.BroadcastChannel;
    }, channel);
    check(ready === 'undefined', `tab ${name}: BroadcastChannel removed, init() and new SessionKeeper({ …, channelName })`, ready);
    return p;
  };
  const tabA = await openTab('A');
  const tabB = await openTab('B');
  const stateOf = (p) => p.evaluate(() => ({ ...window.keeper.state, events: window.events }));
  const brief = (s) => JSON.stringify({ authenticated: s.authenticated, restoring: s.restoring, events: s.events });

  // Storage contents and the write/event records of both tabs; a token the
  // server handed out in any key or value is a leak.
  const storageOf = (p) =>
    p.evaluate(() => {
      const dump = (s) => Array.from({ length: s.length }, (_, i) => [s.key(i), s.getItem(s.key(i))]);
      return { localStorage: dump(localStorage), sessionStorage: dump(sessionStorage), log: window.storageLog };
    });
  const noTokenInStorage = async (when) => {
    const leaks = [];
    const seenKeys = [];
    for (const [name, p] of [['A', tabA], ['B', tabB]]) {
      const st = await storageOf(p);
      const entries = [
        ...st.localStorage.map(([k, v]) => [`localStorage[${JSON.stringify(k)}]`, k, v]),
        ...st.sessionStorage.map(([k, v]) => [`sessionStorage[${JSON.stringify(k)}]`, k, v]),
        ...st.log.map((e) => [`${e.how} ${e.area}[${JSON.stringify(e.key)}]`, e.key, e.value]),
      ];
      for (const [where, k, v] of entries) {
        seenKeys.push(`${name}: ${where}`);
        if (issued.some((t) => `${k}`.includes(t) || `${v}`.includes(t))) leaks.push(`tab ${name} ${where} = ${JSON.stringify(v)}`);
      }
    }
    check(
      leaks.length === 0,
      `${when}: no token (${new Set(issued).size} handed out so far) in either tab's localStorage or sessionStorage (${seenKeys.length} values and writes read)`,
      leaks.join('; '),
    );
  };

  // Start-up: each tab restores from the refresh cookie. The server here
  // answers every refresh, so both come out signed in, and since the pipe
  // carries no token each holds one from its own refresh.
  const restored = async (p) => until(p, () => window.keeper.state.restoring, undefined, (r) => r === false);
  const restoredA = await restored(tabA);
  const restoredB = await restored(tabB);
  check(restoredA === false && restoredB === false, 'tabs A and B finished their start-up restore', `A restoring: ${restoredA}, B restoring: ${restoredB}`);
  const restoreTokens = [
    await within(tabA.evaluate(() => window.keeper.getAccessToken()), 'no answer'),
    await within(tabB.evaluate(() => window.keeper.getAccessToken()), 'no answer'),
  ];
  check(
    restoreTokens.every((t) => /^tok-r\d+$/.test(t ?? '')) && restoreTokens[0] !== restoreTokens[1],
    'after the restore, A and B each hold a token of their own refresh',
    JSON.stringify(restoreTokens),
  );
  await noTokenInStorage('after the restore');

  // A logs out first, so that the login below is what signs B in.
  const logoutsBefore = seen.logout;
  const signedOut = (s) => s.authenticated === false;
  await tabA.evaluate(() => window.keeper.logout());
  const outA = await stateOf(tabA);
  const outB = await until(tabB, () => ({ ...window.keeper.state, events: window.events }), undefined, signedOut);
  check(outA.authenticated === false && outB.authenticated === false, 'await A.logout() after the restore: both tabs signed out', `A ${brief(outA)}, B ${brief(outB)}`);

  await tabB.evaluate(() => (window.events = []));
  const storageEventsBefore = (await storageOf(tabB)).log.filter((e) => e.how === 'event').length;
  const refreshesBefore = seen.refresh;
  const loginA = await tabA.evaluate(async () => {
    await window.keeper.login({ u: 'a' });
    return window.keeper.state.authenticated;
  });
  check(loginA === true, 'await A.login({ u: "a" }); A.state.authenticated === true', loginA);
  await noTokenInStorage('after the login');

  const inB = await until(tabB, () => ({ ...window.keeper.state, events: window.events }), undefined, (s) => s.authenticated === true);
  check(inB.authenticated === true, 'tab B becomes authenticated after the login in tab A', brief(inB));
  const heardB = (await storageOf(tabB)).log.filter((e) => e.how === 'event');
  check(
    heardB.length > storageEventsBefore && heardB.every((e) => e.area === 'localStorage' && e.key === channel),
    `tab B received tab A's messages as storage events under localStorage["${channel}"]`,
    JSON.stringify(heardB),
  );

  const tokenB = await within(tabB.evaluate(() => window.keeper.getAccessToken()), 'no answer');
  const n = /^tok-r(\d+)$/.exec(tokenB ?? '')?.[1];
  check(
    n !== undefined && Number(n) > refreshesBefore,
    'await B.getAccessToken() is a token B got from its own POST /refresh (not tok-1, which storage must not carry)',
    `${JSON.stringify(tokenB)}; ${refreshesBefore} refresh(es) answered before the login, ${seen.refresh} now`,
  );
  const tokenA = await tabA.evaluate(() => window.keeper.getAccessToken());
  check(tokenA === 'tok-1', 'await A.getAccessToken() === "tok-1"', tokenA);
  await noTokenInStorage("after B's refresh");

  await tabB.evaluate(() => {
    window.heard = null;
    window.keeper.addEventListener('logout', (e) => (window.heard = e.detail));
  });
  await tabA.evaluate(() => window.keeper.logout());
  const afterB = await until(tabB, () => ({ heard: window.heard, authenticated: window.keeper.state.authenticated }), undefined, (s) => s.heard !== null);
  check(afterB.heard?.reason === 'user' && afterB.heard?.remote === true, 'after await A.logout(), tab B hears a logout event (reason "user", remote)', JSON.stringify(afterB));
  const finalA = await stateOf(tabA);
  check(finalA.authenticated === false && afterB.authenticated === false, 'both tabs are signed out', `A ${brief(finalA)}, B ${JSON.stringify(afterB)}`);
  check(seen.logout - logoutsBefore === 2, 'POST /logout reached the server once per logout of tab A', `${seen.logout - logoutsBefore} request(s) for 2 logouts`);
  await noTokenInStorage('at the end');
  const tokenAfter = await within(tabB.evaluate(() => window.keeper.getAccessToken()), 'no answer');
  check(tokenAfter === null, 'await B.getAccessToken() === null after the logout', tokenAfter);

  for (const p of [tabA, tabB]) await p.evaluate(() => window.keeper.dispose());
  check(seen.unexpected.length === 0, 'the page requested nothing unexpected', seen.unexpected.join(', '));
  check(problems.length === 0, 'no console errors, no page errors', `\n  ${problems.join('\n  ')}`);
} catch (err) {
  check(false, 'smoke test ran to the end', err?.stack ?? String(err));
  if (problems.length) console.error(`  ${problems.join('\n  ')}`);
} finally {
  clearTimeout(guard);
  await context?.close().catch(() => {});
  server.close();
  await rm(profile, { recursive: true, force: true });
}

if (failures) {
  console.error(`smoke: ${failures} check(s) failed`);
  process.exit(1);
}
console.log(`smoke: all checks passed (${seen.refresh} refresh(es) answered)`);
