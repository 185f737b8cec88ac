// The world of a scenario against a real server app (./apps.mjs): one
// Chromium context (Debian's, through playwright-core, a fresh profile)
// whose pages are the tabs of one user, who signs in through the app's own
// sign-in form. Each signed-in page runs the app's keeper (its static
// app.js: the npm README's recipe) through window.startKeeper(extra).
//
// Time is real here: the frameworks expire sessions on their own clocks, so
// the scenarios use session timeouts of a few seconds. Real time only drives
// the scenario (how long the user keeps moving the pointer) and bounds every
// wait; nothing asserts how long anything took. What is asserted is counted:
// requests on the server (its own request log), events and state in the tabs.
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { launchChromium, WAIT_MS } from '../../lib/harness.mjs';
import { USER } from './apps.mjs';

export { WAIT_MS };
const POLL_MS = 10;
// How often an active user's pointer moves, in real ms.
const MOVE_MS = 200;

export class AppWorld {
  /** A fresh Chromium context for `app` (a running DjangoApp or ExpressApp). */
  static async start(app) {
    const w = new AppWorld();
    w.app = app;
    ({ profile: w.profile, context: w.context } = await launchChromium('ksa-servers-'));
    w.tabs = [];
    w.problems = [];
    w.inflight = 0;
    w.context.on('request', () => w.inflight++);
    w.context.on('requestfinished', () => w.inflight--);
    w.context.on('requestfailed', () => w.inflight--);
    return w;
  }

  async #page(name) {
    const blank = this.context.pages().find((p) => p.url() === 'about:blank' && !this.tabs.some((t) => t.page === p));
    const page = blank ?? (await this.context.newPage());
    page.on('pageerror', (err) => this.problems.push(`${name}: page error: ${err.message}`));
    page.on('console', (msg) => {
      // The browser logs failed statuses itself; scenarios provoke them.
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) this.problems.push(`${name}: console error: ${msg.text()}`);
    });
    return page;
  }

  /** The first tab: the user opens the app's sign-in form and signs in, which lands on the signed-in page. */
  async signIn() {
    const name = `tab${this.tabs.length + 1}`;
    const page = await this.#page(name);
    await page.goto(`${this.app.base}${this.app.routes.signIn}`, { waitUntil: 'load' });
    await page.fill('input[name="username"]', USER.username);
    await page.fill('input[name="password"]', USER.password);
    await Promise.all([page.waitForURL(`${this.app.base}/`, { timeout: WAIT_MS }), page.click('button[type="submit"]')]);
    return this.#add(page, name);
  }

  /** Another tab on the signed-in page. */
  async open() {
    const name = `tab${this.tabs.length + 1}`;
    const page = await this.#page(name);
    await page.goto(`${this.app.base}/`, { waitUntil: 'load' });
    if (page.url() !== `${this.app.base}/`) throw new Error(`${name}: expected the signed-in page, got ${page.url()}`);
    return this.#add(page, name);
  }

  async #add(page, name) {
    await page.waitForFunction(() => typeof window.startKeeper === 'function', null, { timeout: WAIT_MS });
    const tab = new AppTab(this, page, name);
    this.tabs.push(tab);
    return tab;
  }

  /** Signs in, opens `n` tabs in all and starts each one's keeper with `extra` options; waits for one leader. */
  async signedInTabs(n, extra = {}) {
    const tabs = [await this.signIn()];
    while (tabs.length < n) tabs.push(await this.open());
    for (const t of tabs) await t.start(extra);
    const states = await this.until(
      () => Promise.all(tabs.map((t) => t.state())),
      (ss) => ss.every((s) => s.authenticated) && ss.filter((s) => s.leader).length === 1,
    );
    if (!states.every((s) => s.authenticated) || states.filter((s) => s.leader).length !== 1) {
      throw new Error(`tabs did not start as one signed-in session with one leader: ${JSON.stringify(states)}`);
    }
    return tabs;
  }

  /** The tab that leads (sends the heartbeat). */
  async leader() {
    for (const t of this.tabs) if ((await t.state()).leader) return t;
    throw new Error('no leader tab');
  }

  /** Polls `fn` (real time, bounded) until `ok(value)`; returns the last value. */
  async until(fn, ok, maxMs = WAIT_MS) {
    const end = Date.now() + maxMs;
    let v = await fn();
    while (!ok(v) && Date.now() < end) {
      await sleep(POLL_MS * 5);
      v = await fn();
    }
    return v;
  }

  /**
   * The user keeps moving the pointer in `tab` until `ok(await fn())` or
   * `maxMs` real ms have passed (with `fn` omitted: for `maxMs`). Returns the last value.
   */
  async activeUntil(tab, maxMs, fn = async () => null, ok = () => false) {
    const end = Date.now() + maxMs;
    let v = await fn();
    while (!ok(v) && Date.now() < end) {
      await tab.activity();
      await sleep(MOVE_MS);
      v = await fn();
    }
    return v;
  }

  /** Waits until no request of any tab has been in flight for a few polls (bounded). */
  async settle(maxMs = WAIT_MS) {
    const end = Date.now() + maxMs;
    let quiet = 0;
    while (Date.now() < end) {
      quiet = this.inflight <= 0 ? quiet + 1 : 0;
      if (quiet >= 5) return true;
      await sleep(POLL_MS);
    }
    return false;
  }

  async close() {
    await this.context?.close().catch(() => {});
    if (this.profile) await rm(this.profile, { recursive: true, force: true });
  }
}

export class AppTab {
  constructor(world, page, name) {
    this.world = world;
    this.page = page;
    this.name = name;
    this.moves = 0;
  }

  /** Starts the page's keeper (the app's recipe) with `extra` options on top. */
  start(extra = {}) {
    return this.page.evaluate((x) => window.startKeeper(x), extra);
  }

  state() {
    return this.page.evaluate(() => window.keeper.state);
  }

  async events(type) {
    const all = await this.page.evaluate(() => window.ksaEvents);
    return type ? all.filter((e) => e.type === type) : all;
  }

  eval(fn, arg) {
    return this.page.evaluate(fn, arg);
  }

  /** Real input: the pointer moves over the page (a pointermove event). */
  async activity() {
    this.moves++;
    await this.page.mouse.move(100 + (this.moves % 2) * 200, 100 + (this.moves % 3) * 50);
  }
}

/** Every tab's events of `type`, by tab name. */
export async function eventsByTab(tabs, type) {
  const out = {};
  for (const t of tabs) out[t.name] = await t.events(type);
  return out;
}
