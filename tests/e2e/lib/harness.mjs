// The end-to-end world of one scenario: a reference server of its own, one
// browser context (Debian's Chromium through playwright-core, a fresh
// user-data dir) whose pages are the tabs of one user, and one simulated
// clock for all of them.
//
// Time. The context's clock is installed before any page exists and paused;
// it only moves when a scenario calls advance() or jump():
//   advance(ms, { step, each })  runs the clock forward in steps (timers fire
//                                at their exact simulated times); after each
//                                step it waits, in real time and bounded,
//                                until no request is in flight, so replies and
//                                cross-tab messages land before time moves on.
//                                A step must stay below requestTimeoutMs.
//   jump(ms)                     moves Date.now() without firing any timer:
//                                a laptop waking from sleep.
// Every page runs its own copy of the clock through a step, concurrently: a
// message one tab sends at the end of a step may reach another tab whose
// clock is still earlier in that step, so cross-tab effects are stamped up to
// one step off. Scenarios use small steps where that matters.
// The server's clock is set (POST /api/test/clock) to the end of each step
// before the step runs, so it is never behind the pages: at most one step
// ahead. Scenarios choose steps well below the token's refresh lead and the
// heartbeat margin, so that skew cannot change an outcome.
//
// Nothing here measures wall-clock durations: real time is only ever an
// upper bound on waiting, so that a broken build fails instead of hanging.
import { chromium } from 'playwright-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromiumArgs, chromiumPath } from '../../../scripts/lib/chromium.mjs';
import { Server, DEMO } from './server.mjs';
import { pkgDir, wwwDir } from './paths.mjs';

export { DEMO, Server };

export const EVENT_TYPES = ['login', 'refresh', 'heartbeat', 'activity', 'idle', 'warning', 'timeout', 'logout', 'leader', 'error'];
export const ROUTES = {
  login: '/api/auth/login',
  refresh: '/api/auth/refresh',
  logout: '/api/auth/logout',
  keepalive: '/api/keepalive',
  profile: '/api/profile',
  session: '/api/session',
};
// Upper bound, in real milliseconds, for any single wait.
export const WAIT_MS = 15_000;
const POLL_MS = 5;

/** Options of a keeper for the reference server's endpoints. */
export function tokenOptions(extra = {}) {
  return {
    loginUrl: ROUTES.login,
    refreshUrl: ROUTES.refresh,
    logoutUrl: ROUTES.logout,
    requestTimeoutMs: 30_000,
    ...extra,
  };
}

export function cookieOptions(sessionTimeoutMs, extra = {}) {
  return {
    loginUrl: ROUTES.login,
    keepaliveUrl: ROUTES.keepalive,
    logoutUrl: ROUTES.logout,
    sessionTimeoutMs,
    requestTimeoutMs: 30_000,
    ...extra,
  };
}

/** Records every fetch() of the page with its simulated send time (the SDK calls the global fetch). */
function fetchLogger() {
  const original = window.fetch;
  window.ksaRequests = [];
  window.fetch = function (input, init) {
    try {
      const req = input instanceof Request ? input : null;
      const url = new URL(req ? req.url : String(input), location.href);
      const method = String(init?.method ?? req?.method ?? 'GET').toUpperCase();
      window.ksaRequests.push({ path: url.pathname, method, at: Date.now() });
    } catch {
      // Logging must never change what the page does.
    }
    return original.apply(this, arguments);
  };
}

/** Counts of `after - before` for the routes and counters a scenario reads. */
export function delta(before, after) {
  const out = { requests: {} };
  for (const [route, n] of Object.entries(after.requests)) out.requests[route] = n - (before.requests[route] ?? 0);
  for (const [k, v] of Object.entries(after)) if (typeof v === 'number') out[k] = v - (before[k] ?? 0);
  out.refreshes = out.requests[ROUTES.refresh] ?? 0;
  out.heartbeats = out.requests[ROUTES.keepalive] ?? 0;
  return out;
}

/** Debian's Chromium with a fresh profile (under a temp dir named `prefix`): its one context. */
export async function launchChromium(prefix) {
  const profile = await mkdtemp(join(tmpdir(), prefix));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport: { width: 1000, height: 800 },
  });
  return { profile, context };
}

export class World {
  /**
   * server: { flags, wwwDir?, pkgDir?, redis? }; clock: false leaves time real
   * (the demo smoke test).
   */
  static async start({ server = {}, clock = true } = {}) {
    const w = new World();
    w.server = await Server.start({ wwwDir, pkgDir, ...server });
    ({ profile: w.profile, context: w.context } = await launchChromium('ksa-e2e-'));
    w.problems = [];
    w.issued = [];
    w.inflight = 0;
    w.tabs = [];
    w.context.on('request', () => w.inflight++);
    w.context.on('requestfinished', () => w.inflight--);
    w.context.on('requestfailed', () => w.inflight--);
    w.context.on('response', async (r) => {
      const path = new URL(r.url()).pathname;
      if ((path === ROUTES.refresh || path === ROUTES.login) && r.status() === 200) {
        try {
          const body = await r.json();
          if (typeof body.accessToken === 'string') w.issued.push(body.accessToken);
        } catch {
          // A malformed reply (fault injection) has no token to record.
        }
      }
    });
    if (clock) {
      const t0 = Math.ceil(Date.now() / 1000) * 1000 + 1000;
      await w.context.clock.install({ time: t0 - 1000 });
      await w.context.clock.pauseAt(t0);
      w.now = t0;
      await w.server.setNow(t0);
    }
    w.clocked = clock;
    return w;
  }

  /** Opens a tab on the server's origin and starts a keeper with `options` in it. */
  async open(options, { name = `tab${this.tabs.length + 1}`, path = '/' } = {}) {
    const blank = this.context.pages().find((p) => p.url() === 'about:blank' && !this.tabs.some((t) => t.page === p));
    const page = blank ?? (await this.context.newPage());
    const tab = new Tab(this, page, name);
    page.on('console', (msg) => {
      // Failed HTTP statuses are logged by the browser itself; scenarios
      // provoke them on purpose (restore without a cookie, faults).
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) {
        this.problems.push(`${name}: console error: ${msg.text()}`);
      }
    });
    page.on('pageerror', (err) => this.problems.push(`${name}: page error: ${err.message}`));
    await page.addInitScript(fetchLogger);
    await page.goto(`${this.server.base}${path}`, { waitUntil: 'load' });
    if (options) await tab.start(options);
    this.tabs.push(tab);
    return tab;
  }

  /**
   * Runs the simulated clock `ms` forward in steps; `each(now)` runs before
   * every step; `pending` requests may stay open while settling (a hung one).
   */
  async advance(ms, { step = 1_000, each, pending = 0 } = {}) {
    if (!this.clocked) throw new Error('advance() needs the simulated clock');
    let left = ms;
    while (left > 0) {
      const d = Math.min(step, left);
      if (each) await each(this.now);
      await this.server.setNow(this.now + d);
      await this.runClock(d);
      this.now += d;
      await this.settle({ pending });
      left -= d;
    }
  }

  /** Moves Date.now() by `ms` without firing timers, in the pages and on the server. */
  async jump(ms) {
    this.now += ms;
    await this.server.setNow(this.now);
    await this.setPagesNow(this.now);
  }

  /** Sets the pages' Date.now() to `now` without firing timers. */
  setPagesNow(now) {
    return this.context.clock.setSystemTime(now);
  }

  /** Runs the pages' clock `ms` forward: every due timer fires at its time. */
  runClock(ms) {
    return this.context.clock.runFor(ms);
  }

  /** Requests the pages have in flight now. */
  async inflightNow() {
    return this.inflight;
  }

  /**
   * Waits until no request has been in flight for a few polls (replies and
   * cross-tab messages land), at most `maxMs` real ms; `pending` requests
   * may stay open (a hung one). Returns whether it got quiet.
   */
  async settle({ maxMs = WAIT_MS, pending = 0 } = {}) {
    const until = Date.now() + maxMs;
    let quiet = 0;
    while (Date.now() < until) {
      quiet = (await this.inflightNow()) <= pending ? quiet + 1 : 0;
      if (quiet >= 3) return true;
      await sleep(POLL_MS);
    }
    return false;
  }

  /** Polls `fn` (real time, bounded) until `ok(value)`; returns the last value. */
  async until(fn, ok, maxMs = WAIT_MS) {
    const until = Date.now() + maxMs;
    let v = await fn();
    while (!ok(v) && Date.now() < until) {
      await sleep(POLL_MS * 2);
      v = await fn();
    }
    return v;
  }

  counters() {
    return this.server.counters();
  }

  async close() {
    await this.context?.close().catch(() => {});
    await this.server?.close();
    if (this.profile) await rm(this.profile, { recursive: true, force: true });
  }
}

export class Tab {
  constructor(world, page, name) {
    this.world = world;
    this.page = page;
    this.name = name;
  }

  /** Loads the package, inits it and makes `window.keeper`, recording every event with its simulated time. */
  async start(options) {
    await this.page.evaluate(
      async ({ options, types }) => {
        const mod = await import('/pkg/keep_session_alive.js');
        if (typeof mod.default === 'function') await mod.default();
        window.ksa = mod;
        window.ksaEvents = [];
        window.keeper = new mod.SessionKeeper(options);
        for (const type of types) {
          window.keeper.addEventListener(type, (e) => window.ksaEvents.push({ type, detail: e.detail, at: Date.now() }));
        }
      },
      { options, types: EVENT_TYPES },
    );
  }

  eval(fn, arg) {
    return this.page.evaluate(fn, arg);
  }

  state() {
    return this.page.evaluate(() => window.keeper.state);
  }

  async events(type) {
    const all = await this.page.evaluate(() => window.ksaEvents);
    return type ? all.filter((e) => e.type === type) : all;
  }

  /** fetch() calls of this tab to `path` (method POST unless given), with simulated send times. */
  async requests(path, method) {
    const all = await this.page.evaluate(() => window.ksaRequests);
    return all.filter((r) => r.path === path && (!method || r.method === method));
  }

  token() {
    return this.page.evaluate(() => window.keeper.getAccessToken());
  }

  /** keeper.fetch(path): { status, body } or { error }. */
  fetch(path, init) {
    return this.page.evaluate(
      async ({ path, init }) => {
        try {
          const res = await window.keeper.fetch(path, init);
          return { status: res.status, body: await res.text() };
        } catch (e) {
          return { error: String(e?.message ?? e) };
        }
      },
      { path, init },
    );
  }

  /** Real input: the pointer moves over the page (a pointermove event). */
  async activity() {
    this.moves = (this.moves ?? 0) + 1;
    await this.page.mouse.move(100 + (this.moves % 2) * 200, 100 + (this.moves % 3) * 50);
  }

  /** Advances the clock in small steps until this tab has finished its start-up restore. */
  async ready() {
    for (let i = 0; i < 50; i++) {
      const s = await this.state();
      if (!s.restoring) return s;
      await this.world.advance(100, { step: 100 });
    }
    throw new Error(`${this.name}: still restoring after 5 simulated seconds`);
  }

  async login(mode = 'token') {
    await this.ready();
    return this.page.evaluate(
      async ({ body }) => {
        await window.keeper.login(body);
        return window.keeper.state;
      },
      { body: { ...DEMO, mode } },
    );
  }

  async close() {
    await this.page.close();
    this.world.tabs = this.world.tabs.filter((t) => t !== this);
  }
}

/** Opens `n` tabs with the same options; the first one logs in. */
export async function signedInTabs(world, n, options, mode = 'token') {
  const tabs = [];
  for (let i = 0; i < n; i++) tabs.push(await world.open(options));
  for (const t of tabs) await t.ready();
  await tabs[0].login(mode);
  await world.settle();
  await world.until(
    () => Promise.all(tabs.map((t) => t.state())),
    (states) => states.every((s) => s.authenticated),
  );
  return tabs;
}
