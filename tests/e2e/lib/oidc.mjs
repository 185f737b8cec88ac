// The world of an OIDC scenario (oidc*.test.mjs): an OpenID Provider built on
// oidc-provider (tests/e2e/oidc/provider.mjs) dressed for one client library,
// and the app's origin with that library's app and its resource server
// (tests/e2e/oidc/app-server.mjs, apps/<lib>/), both in this process on free
// 127.0.0.1 ports, and one Chromium context whose pages are the tabs of one
// user. tests/e2e/oidc/apps/README.md is the contract between the world and
// each library's app.
//
// Time is real: the provider's tokens expire on its own clock, which a
// simulated browser clock would leave behind. Scenarios run for a few token
// lifetimes and count what happened (grants, invalid_grant, reuse,
// revocations, API statuses, logout reasons); real time only bounds the
// waiting.
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { chromiumArgs, chromiumPath } from '../../../scripts/lib/chromium.mjs';
import { EVENT_TYPES, WAIT_MS } from './harness.mjs';
import { e2eDir } from './paths.mjs';
import { CLIENT_ID, openIdProvider } from '../oidc/provider.mjs';
import { ACCOUNT } from '../oidc/interactions.mjs';
import { appServer } from '../oidc/app-server.mjs';
import { selfSignedCertificate } from '../oidc/https-cert.mjs';

const POLL_MS = 50;

/** Starts `server` on a free 127.0.0.1 port; its origin. */
async function listen(server, scheme = 'http') {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `${scheme}://127.0.0.1:${server.address().port}`;
}

/** The dress of the app in apps/<lib>/ (apps/README.md). */
export async function loadDress(lib) {
  const mod = await import(pathToFileURL(join(e2eDir, 'oidc/apps', lib, 'dress.mjs')).href);
  return mod.dress ?? mod.default ?? {};
}

/** Polls `fn` until `ok(value)`, at most `maxMs` real ms; returns the last value. */
export async function until(fn, ok, maxMs = WAIT_MS) {
  const deadline = Date.now() + maxMs;
  let v = await fn();
  while (!ok(v) && Date.now() < deadline) {
    await sleep(POLL_MS);
    v = await fn();
  }
  return v;
}

/**
 * Counts, in the page, the refresh_token grants it sends to the provider's
 * origin, form-encoded or JSON (observation only).
 */
function refreshGrantCounter(providerOrigin) {
  const original = window.fetch;
  window.refreshGrantsSent = 0;
  window.fetch = function (input, init) {
    try {
      const url = new URL(input instanceof Request ? input.url : String(input), location.href);
      if (url.origin === providerOrigin && /grant_type(=|"\s*:\s*")refresh_token/.test(String(init?.body ?? ''))) window.refreshGrantsSent++;
    } catch {
      // Counting must never change what the page does.
    }
    return original.apply(this, arguments);
  };
}

export class OidcWorld {
  /**
   * lib: the app in tests/e2e/oidc/apps/<lib>/, whose dress.mjs dresses the
   * provider; accessTokenTtlSecs: the provider's access-token lifetime.
   */
  static async start({ lib = 'oidc-client-ts', accessTokenTtlSecs }) {
    const w = new OidcWorld();
    w.lib = lib;
    w.dress = await loadDress(lib);
    w.ttlSecs = accessTokenTtlSecs;
    const certificate = w.dress.https ? selfSignedCertificate() : null;
    w.providerHttp = certificate ? createHttpsServer(certificate) : createServer();
    w.appHttp = createServer();
    w.providerOrigin = await listen(w.providerHttp, certificate ? 'https' : 'http');
    w.appOrigin = await listen(w.appHttp);
    w.op = openIdProvider({ providerOrigin: w.providerOrigin, appOrigin: w.appOrigin, accessTokenTtlSecs, dress: w.dress });
    w.issuer = w.op.issuer;
    w.providerHttp.on('request', w.op.handle);
    w.app = appServer({
      appDir: join(e2eDir, 'oidc/apps', lib),
      modules: w.dress.modules ?? [],
      introspection: { ...w.op.introspection, ca: certificate?.cert },
    });
    w.appHttp.on('request', w.app.handle);
    w.profile = await mkdtemp(join(tmpdir(), 'ksa-oidc-'));
    w.context = await chromium.launchPersistentContext(w.profile, {
      executablePath: chromiumPath,
      headless: true,
      args: chromiumArgs,
      viewport: { width: 1000, height: 800 },
      // The https dresses' self-signed certificate.
      ignoreHTTPSErrors: true,
    });
    w.problems = [];
    w.tabs = [];
    return w;
  }

  /**
   * Opens the app in a new tab. mode: 'keeper' (the recipe, with
   * `keeperOptions`) or 'baseline' (oidc-client-ts renewing on its own
   * `renewLeadSecs` before expiry, apps/oidc-client-ts only).
   */
  async open({ mode = 'keeper', keeperOptions = {}, renewLeadSecs } = {}) {
    const name = `tab${this.tabs.length + 1}`;
    const blank = this.context.pages().find((p) => p.url() === 'about:blank' && !this.tabs.some((t) => t.page === p));
    const page = blank ?? (await this.context.newPage());
    page.on('console', (msg) => {
      // The browser logs failed statuses itself (a revoked token's 401).
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) {
        this.problems.push(`${name}: console error: ${msg.text()}`);
      }
    });
    page.on('pageerror', (err) => this.problems.push(`${name}: page error: ${err.message}`));
    const place = { issuer: this.issuer, providerOrigin: this.providerOrigin, appOrigin: this.appOrigin };
    const extra = typeof this.dress.appConfig === 'function' ? this.dress.appConfig(place) : this.dress.appConfig;
    const appConfig = {
      authority: this.issuer,
      issuer: this.issuer,
      providerOrigin: this.providerOrigin,
      clientId: CLIENT_ID,
      mode,
      keeperOptions,
      renewLeadSecs,
      eventTypes: EVENT_TYPES,
      ...extra,
    };
    await page.addInitScript((cfg) => {
      window.appConfig = cfg;
    }, appConfig);
    await page.addInitScript(refreshGrantCounter, this.providerOrigin);
    const tab = new OidcTab(this, page, name);
    await tab.load();
    this.tabs.push(tab);
    return tab;
  }

  /** Signs in through the provider's own login and consent pages, in `tab` (or as the dress signs in). */
  async signIn(tab) {
    if (this.dress.signIn) return this.dress.signIn(tab, this);
    const { page } = tab;
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.origin === this.providerOrigin, { timeout: WAIT_MS });
    await page.getByLabel('Login').fill(ACCOUNT.login);
    await page.getByLabel('Password').fill(ACCOUNT.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.origin === this.appOrigin, { timeout: WAIT_MS });
    await tab.ready();
    if (!(await until(() => tab.signedIn(), Boolean))) throw new Error(`${tab.name}: not signed in after the provider's pages`);
  }

  /** `n` tabs of the app; the first signs in, then the others open and join the session. */
  async signedInTabs(n, options) {
    const first = await this.open(options);
    await this.signIn(first);
    for (let i = 1; i < n; i++) await this.open(options);
    const all = await until(
      () => Promise.all(this.tabs.map((t) => t.signedIn())),
      (states) => states.every(Boolean),
    );
    if (!all.every(Boolean)) throw new Error(`tabs signed in: ${all}`);
    return this.tabs;
  }

  /**
   * Runs for `ms` real milliseconds, calling `each(i)` every `stepMs`, or
   * stops early once `done()` holds (checked after each step).
   */
  async run(ms, { stepMs = 1_000, each, done } = {}) {
    const deadline = Date.now() + ms;
    for (let i = 0; Date.now() < deadline; i++) {
      if (each) await each(i);
      if (done && (await done())) return true;
      await sleep(stepMs);
    }
    return false;
  }

  /** The provider's counters with the resource server's. */
  counters() {
    return { ...this.op.counters(), ...this.app.counters() };
  }

  async close() {
    await this.context?.close().catch(() => {});
    this.providerHttp.closeAllConnections();
    this.appHttp.closeAllConnections();
    await Promise.all([new Promise((r) => this.providerHttp.close(r)), new Promise((r) => this.appHttp.close(r))]);
    if (this.profile) await rm(this.profile, { recursive: true, force: true });
  }
}

export class OidcTab {
  constructor(world, page, name) {
    this.world = world;
    this.page = page;
    this.name = name;
    // Refresh grants sent by the tab's earlier page lives (before a reload).
    this.sentBefore = 0;
  }

  /** Loads the app, or reloads it (a new page life: its keeper and its library start again). */
  async load() {
    await this.keepCount();
    await this.page.goto(`${this.world.appOrigin}/`, { waitUntil: 'load' });
    await this.ready();
  }

  /** Leaves the app for about:blank (the keeper's page is gone, as a closed tab's); load() brings it back. */
  async leave() {
    await this.keepCount();
    await this.page.goto('about:blank');
  }

  async keepCount() {
    this.sentBefore += await this.eval(() => window.refreshGrantsSent ?? 0).catch(() => 0);
  }

  /** Waits until the app module has run (window.app exists). */
  async ready() {
    await this.page.waitForFunction(() => window.app, null, { timeout: WAIT_MS });
  }

  eval(fn, arg) {
    return this.page.evaluate(fn, arg);
  }

  signedIn() {
    return this.eval(() => window.app.signedIn());
  }

  /** The resource server's status for this tab's current token (0: no token). */
  callApi() {
    return this.eval(() => window.app.callApi());
  }

  async events(type) {
    const all = await this.eval(() => window.appLog.events);
    return type ? all.filter((e) => e.type === type) : all;
  }

  log() {
    return this.eval(() => window.appLog);
  }

  /** Refresh grants this tab sent, over all its page lives. */
  async refreshGrantsSent() {
    return this.sentBefore + (await this.eval(() => window.refreshGrantsSent));
  }

  /** The keeper's state in this tab. */
  state() {
    return this.eval(() => window.app.keeper.state);
  }

  /** Real input: the pointer moves over the page. */
  async activity() {
    this.moves = (this.moves ?? 0) + 1;
    await this.page.mouse.move(100 + (this.moves % 2) * 200, 100 + (this.moves % 3) * 50);
  }
}
