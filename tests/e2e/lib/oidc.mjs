// The world of an OIDC scenario (oidc.test.mjs): an OpenID Provider built on
// oidc-provider (tests/e2e/oidc/provider.mjs) and the app's origin with its
// resource server (tests/e2e/oidc/app-server.mjs), both in this process on
// free 127.0.0.1 ports, and one Chromium context whose pages are the tabs of
// one user, running the app (tests/e2e/oidc/app/).
//
// Time is real: the provider's tokens expire on its own clock, which a
// simulated browser clock would leave behind. Scenarios run for a few token
// lifetimes and count what happened (grants, invalid_grant, revocations, API
// statuses, logout reasons); real time only bounds the waiting.
import { createServer } from 'node:http';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { EVENT_TYPES, WAIT_MS, launchChromium } from './harness.mjs';
import { CLIENT_ID, openIdProvider } from '../oidc/provider.mjs';
import { ACCOUNT } from '../oidc/interactions.mjs';
import { appServer } from '../oidc/app-server.mjs';

const POLL_MS = 50;

/** Starts `server` on a free 127.0.0.1 port; its origin. */
async function listen(server) {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${server.address().port}`;
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

/** Counts, in the page, the refresh_token grants it sends to `tokenEndpoint` (observation only). */
function refreshGrantCounter(tokenEndpoint) {
  const original = window.fetch;
  window.refreshGrantsSent = 0;
  window.fetch = function (input, init) {
    try {
      const url = input instanceof Request ? input.url : String(input);
      if (url === tokenEndpoint && String(init?.body ?? '').includes('grant_type=refresh_token')) window.refreshGrantsSent++;
    } catch {
      // Counting must never change what the page does.
    }
    return original.apply(this, arguments);
  };
}

export class OidcWorld {
  /** accessTokenTtlSecs: the provider's access-token lifetime. */
  static async start({ accessTokenTtlSecs }) {
    const w = new OidcWorld();
    w.ttlSecs = accessTokenTtlSecs;
    w.providerHttp = createServer();
    w.appHttp = createServer();
    w.issuer = await listen(w.providerHttp);
    w.appOrigin = await listen(w.appHttp);
    w.op = openIdProvider({ issuer: w.issuer, appOrigin: w.appOrigin, accessTokenTtlSecs });
    w.providerHttp.on('request', w.op.handle);
    w.app = appServer({ introspection: w.op.introspection });
    w.appHttp.on('request', w.app.handle);
    ({ profile: w.profile, context: w.context } = await launchChromium('ksa-oidc-'));
    w.problems = [];
    w.tabs = [];
    return w;
  }

  /**
   * Opens the app in a new tab. mode: 'keeper' (the recipe, with
   * `keeperOptions`) or 'baseline' (oidc-client-ts renewing on its own
   * `renewLeadSecs` before expiry).
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
    const appConfig = { authority: this.issuer, clientId: CLIENT_ID, mode, keeperOptions, renewLeadSecs, eventTypes: EVENT_TYPES };
    await page.addInitScript((cfg) => {
      window.appConfig = cfg;
    }, appConfig);
    await page.addInitScript(refreshGrantCounter, `${this.issuer}/token`);
    const tab = new OidcTab(this, page, name);
    await tab.load();
    this.tabs.push(tab);
    return tab;
  }

  /** Signs in through the provider's own login and consent pages, in `tab`. */
  async signIn(tab) {
    const { page } = tab;
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.origin === this.issuer, { timeout: WAIT_MS });
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
  }

  async load() {
    await this.page.goto(`${this.world.appOrigin}/`, { waitUntil: 'load' });
    await this.ready();
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

  refreshGrantsSent() {
    return this.eval(() => window.refreshGrantsSent);
  }

  /** Real input: the pointer moves over the page. */
  async activity() {
    this.moves = (this.moves ?? 0) + 1;
    await this.page.mouse.move(100 + (this.moves % 2) * 200, 100 + (this.moves % 3) * 50);
  }
}
