// The world of a scenario that runs in every engine: the World and Tab of
// ./harness.mjs (same server, same keeper in each tab, same assertions'
// vocabulary), on a browser of ./browsers.mjs instead of Playwright's
// Chromium, and on the simulated clock of ./page-prelude.mjs instead of
// Playwright's `page.clock`.
//
// Time works as in harness.mjs: advance() runs every tab's clock through
// each step (timers fire at their simulated times), then waits, bounded in
// real time, until no tab has a request in flight; jump() moves Date.now()
// alone. The clock is installed in a tab when it loads, at the world's
// time, before the package is imported; a reloaded tab gets it again. A tab
// that has navigated away (`tab.away`) keeps no clock and is skipped; when
// it comes back from the back/forward cache, its clock takes the world's
// time in its first `pageshow` listener.
//
// Nothing measures wall-clock durations; real time only bounds waiting.
import { setTimeout as sleep } from 'node:timers/promises';
import { World, Tab, Server } from './harness.mjs';
import { launch } from './browsers.mjs';
import { prelude } from './page-prelude.mjs';
import { pkgDir, wwwDir } from './paths.mjs';

export { ENGINES, enginesToRun } from './browsers.mjs';
export { ROUTES, DEMO, delta, tokenOptions, cookieOptions, signedInTabs, WAIT_MS } from './harness.mjs';

const POLL_MS = 10;

export class EngineWorld extends World {
  /**
   * A server of its own (`server`: { flags }) and a fresh browser of `engine`.
   * `start` makes another kind of server (base, setNow, close) from the same
   * options: the redirect scenario's, say.
   */
  static async startIn(engine, { server = {}, start = (o) => Server.start(o) } = {}) {
    const w = new EngineWorld();
    w.engine = engine;
    w.tabs = [];
    w.closedProblems = [];
    w.server = await start({ wwwDir, pkgDir, ...server });
    try {
      w.browser = await launch(engine);
    } catch (e) {
      await w.server.close();
      throw e;
    }
    w.clocked = true;
    w.now = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    await w.server.setNow(w.now);
    return w;
  }

  /** Opens a tab on the server's origin; starts a keeper with `options` in it unless null. */
  async open(options, { name = `tab${this.tabs.length + 1}`, path = '/', noWebLocks = false } = {}) {
    const tab = new EngineTab(this, await this.browser.newTab(), name, { noWebLocks });
    await tab.page.goto(`${this.server.base}${path}`);
    await tab.prepare();
    if (options) await tab.start(options);
    this.tabs.push(tab);
    return tab;
  }

  /** The tabs whose document has the simulated clock. */
  present() {
    return this.tabs.filter((t) => !t.away);
  }

  async runClock(ms) {
    await Promise.all(this.present().map((t) => t.page.evaluate((d) => window.ksaClock.runFor(d), ms)));
  }

  async setPagesNow(now) {
    await Promise.all(this.present().map((t) => t.page.evaluate((n) => window.ksaClock.setNow(n), now)));
  }

  async inflightNow() {
    const counts = await Promise.all(this.present().map((t) => t.page.evaluate(() => window.ksaInflight)));
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Uncaught errors, unhandled rejections and console errors of every tab, closed ones too. */
  async problems() {
    const open = await Promise.all(this.present().map((t) => t.problems()));
    return [...this.closedProblems, ...open.flat()];
  }

  async close() {
    await this.browser?.close();
    await this.server?.close();
  }
}

export class EngineTab extends Tab {
  constructor(world, page, name, { noWebLocks }) {
    super(world, page, name);
    this.noWebLocks = noWebLocks;
    this.away = false;
  }

  /** Installs the clock, request log and problem log in the loaded document (lib/page-prelude.mjs). */
  async prepare() {
    await this.page.evaluate(prelude, { now: this.world.now, noWebLocks: this.noWebLocks });
    this.docId = await this.page.evaluate(() => (window.ksaDocId = Math.random()));
  }

  async problems() {
    const list = await this.page.evaluate(() => window.ksaProblems);
    return list.map((p) => `${this.name}: ${p}`);
  }

  /** Real input: the pointer moves over the page. */
  async activity() {
    this.moves = (this.moves ?? 0) + 1;
    await this.page.pointerMove(100 + (this.moves % 2) * 200, 100 + (this.moves % 3) * 50);
  }

  /**
   * Runs `fn` in the page and waits for the navigation it starts to reach `url` and load.
   *
   * In WebKit, `fn` runs one task after the evaluation has returned, and the
   * address is watched without a script until it changes: WebKitWebDriver
   * now and then never answered a script whose document was swapped
   * meanwhile (a history.back() that restored the page from the
   * back/forward cache hung the session for good, the restored page itself
   * idle and well). Not in Firefox: deferred this way, it did not restore
   * the page from the back/forward cache (the MessageChannel the leaving
   * page opens is the likely reason; not confirmed).
   */
  async navigate(fn, url, arg) {
    const before = this.docId;
    const until = Date.now() + 15_000;
    if (this.world.engine === 'webkit') {
      const from = await this.page.url();
      await this.page
        .evaluate(
          ({ source, arg }) => {
            const run = (0, eval)(`(${source})`);
            const next = new MessageChannel();
            next.port1.onmessage = () => run(arg);
            next.port2.postMessage(0);
          },
          { source: String(fn), arg },
        )
        .catch(() => {});
      // A reload keeps its address and is told by its docId below.
      while (from !== url && (await this.page.url().catch(() => null)) !== url) {
        if (Date.now() > until) throw new Error(`${this.name}: no navigation to ${url}`);
        await sleep(POLL_MS);
      }
    } else {
      await this.page.evaluate(fn, arg).catch(() => {
        // The evaluation may end with its document: that is the navigation.
      });
    }
    for (;;) {
      const now = await this.page
        .evaluate(() => ({ href: location.href, ready: document.readyState, docId: window.ksaDocId ?? null }))
        .catch(() => null);
      if (now && now.href === url && now.ready === 'complete' && now.docId !== before) return now;
      if (Date.now() > until) throw new Error(`${this.name}: no load of ${url} (last: ${JSON.stringify(now)})`);
      await sleep(POLL_MS);
    }
  }

  /** Reloads the page; the new document gets the clock at the world's time, then a keeper with `options`. */
  async reload(options) {
    const url = await this.page.evaluate(() => location.href);
    await this.navigate(() => location.reload(), url);
    await this.prepare();
    if (options) await this.start(options);
  }

  /** Leaves the page for `url` on the same origin (the tab is `away` then). */
  async leave(path = '/?away') {
    this.home = await this.page.evaluate(() => location.href);
    await this.page.evaluate(() => {
      window.ksaShown = [];
      addEventListener('pageshow', (e) => window.ksaShown.push(e.persisted));
    });
    const url = `${this.world.server.base}${path}`;
    await this.navigate((u) => location.assign(u), url, url);
    this.docId = await this.page.evaluate(() => (window.ksaDocId = 'away'));
    this.away = true;
  }

  /**
   * Goes back to the page left with leave(). Returns whether the browser
   * restored it from the back/forward cache (its `pageshow` said persisted);
   * if it loaded it anew instead, the new document is prepared like a fresh
   * one (no keeper started) and `notRestoredReasons` says why, where the
   * browser tells (Chromium).
   */
  async back() {
    // The restored page's clock reads the world's time in its first pageshow listener.
    await this.page.evaluate((now) => localStorage.setItem('ksa-e2e-now', String(now)), this.world.now);
    const shown = await this.navigate(() => history.back(), this.home);
    this.away = false;
    const persisted = await this.page.evaluate(() => (window.ksaShown ?? []).at(-1) === true);
    if (!persisted || shown.docId === null) {
      // Why not, where the browser says (Chromium's NotRestoredReasons).
      this.notRestoredReasons = await this.page.evaluate(() => {
        const why = performance.getEntriesByType('navigation')[0]?.notRestoredReasons;
        return why ? JSON.parse(JSON.stringify(why)) : null;
      });
      await this.prepare();
      return false;
    }
    return true;
  }

  async close() {
    this.world.closedProblems.push(...(await this.problems()));
    await super.close();
  }
}

/** One `node:test` test per engine of this run: `scenario(t, engine)`. */
export function eachEngine(test, engines, title, scenario) {
  for (const engine of engines) test(`${engine}: ${title}`, (t) => scenario(t, engine));
}
