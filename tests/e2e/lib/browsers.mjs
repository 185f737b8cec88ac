// One browser of each engine behind one small interface, so that a scenario
// never knows which engine it runs in:
//
//   chromium  Debian's /usr/bin/chromium through playwright-core
//   firefox   Debian's /usr/bin/firefox-esr through puppeteer-core over WebDriver BiDi
//   webkit    WebKitGTK's MiniBrowser through /usr/bin/WebKitWebDriver (classic
//             WebDriver, ./webdriver.mjs) on an Xvfb display of its own
//
// Nothing downloads a browser. Each launch gets a fresh profile. Every engine
// keeps its back/forward cache on, as a user's browser has it (Playwright
// turns Chromium's off by default: its flag is dropped here).
//
//   const browser = await launch('firefox');
//   const tab = await browser.newTab();          // a new top-level window
//   await tab.goto(url);                         // waits for load
//   await tab.evaluate((x) => x + 1, 1);         // one JSON argument; awaits a promise
//   await tab.pointerMove(100, 200);             // real input: a pointermove
//   await browser.setOffline(true);              // every tab
//   await tab.close();                           // pagehide runs
//   await browser.close();
//
// KSA_ENGINES (e.g. "firefox" or "chromium,webkit") picks the engines a run
// covers; the default is all three.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium as playwrightChromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { chromiumArgs, chromiumPath } from '../../../scripts/lib/chromium.mjs';
import { DriverProcess } from './webdriver.mjs';

export const ENGINES = ['chromium', 'firefox', 'webkit'];
export const firefoxPath = process.env.FIREFOX ?? '/usr/bin/firefox-esr';
export const webkitDriverPath = process.env.WEBKIT_WEBDRIVER ?? '/usr/bin/WebKitWebDriver';
export const miniBrowserPath = process.env.MINIBROWSER ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const VIEWPORT = { width: 1000, height: 800 };

/** The engines this run covers: KSA_ENGINES, or all three. */
export function enginesToRun(env = process.env.KSA_ENGINES) {
  const picked = (env ?? '').split(/[\s,]+/).filter(Boolean);
  const unknown = picked.filter((e) => !ENGINES.includes(e));
  if (unknown.length) throw new Error(`KSA_ENGINES: unknown engine ${unknown.join(', ')} (known: ${ENGINES.join(', ')})`);
  return picked.length ? ENGINES.filter((e) => picked.includes(e)) : ENGINES;
}

/** Starts a browser of `engine` with a fresh profile. */
export function launch(engine) {
  const start = { chromium: ChromiumBrowser.start, firefox: FirefoxBrowser.start, webkit: WebKitBrowser.start }[engine];
  if (!start) throw new Error(`unknown engine ${engine}`);
  return start();
}

// --- Chromium: playwright-core ------------------------------------------------

class ChromiumBrowser {
  static async start() {
    const b = new ChromiumBrowser();
    b.engine = 'chromium';
    b.browser = await playwrightChromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: chromiumArgs,
      ignoreDefaultArgs: ['--disable-back-forward-cache'],
    });
    b.version = `chromium/${b.browser.version()}`;
    b.context = await b.browser.newContext({ viewport: VIEWPORT });
    b.tabs = [];
    return b;
  }

  async newTab() {
    const tab = new PageTab(await this.context.newPage(), this);
    this.tabs.push(tab);
    return tab;
  }

  setOffline(offline) {
    return this.context.setOffline(offline);
  }

  async close() {
    await this.browser.close().catch(() => {});
  }
}

// --- Firefox: puppeteer-core over WebDriver BiDi -----------------------------------

class FirefoxBrowser {
  static async start() {
    const b = new FirefoxBrowser();
    b.engine = 'firefox';
    b.profile = await mkdtemp(join(tmpdir(), 'ksa-firefox-'));
    b.browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: firefoxPath,
      headless: true,
      userDataDir: b.profile,
      defaultViewport: VIEWPORT,
    });
    b.version = await b.browser.version();
    b.tabs = [];
    b.first = (await b.browser.pages())[0];
    return b;
  }

  async newTab() {
    // The window the browser opened with is the first tab; later ones are
    // windows of their own, visible like Playwright's pages.
    const page = this.first ?? (await this.browser.newPage({ type: 'window' }));
    this.first = null;
    const tab = new PageTab(page, this);
    this.tabs.push(tab);
    return tab;
  }

  async setOffline(offline) {
    for (const tab of this.tabs) await tab.page.setOfflineMode(offline);
  }

  async close() {
    await this.browser.close().catch(() => {});
    await rm(this.profile, { recursive: true, force: true });
  }
}

/** A tab of Playwright or puppeteer: their pages answer these calls alike. */
class PageTab {
  constructor(page, browser) {
    this.page = page;
    this.browser = browser;
  }

  async goto(url) {
    await this.page.goto(url, { waitUntil: 'load' });
  }

  evaluate(fn, arg) {
    return this.page.evaluate(fn, arg);
  }

  pointerMove(x, y) {
    return this.page.mouse.move(x, y);
  }

  async close() {
    this.browser.tabs = this.browser.tabs.filter((t) => t !== this);
    await this.page.close();
  }
}

// --- WebKit: MiniBrowser through WebKitWebDriver, on an Xvfb of its own -----------

/** Starts Xvfb on a display it picks itself; resolves with the process and ":N". */
function startXvfb() {
  return new Promise((resolve, reject) => {
    const child = spawn('Xvfb', ['-displayfd', '1', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const m = /^(\d+)\n/.exec(out);
      if (m) resolve({ child, display: `:${m[1]}` });
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`Xvfb exited (${code}) before it was ready:\n${err}`)));
  });
}

class WebKitBrowser {
  static async start() {
    const b = new WebKitBrowser();
    b.engine = 'webkit';
    b.xvfb = await startXvfb();
    try {
      b.driver = await DriverProcess.start(webkitDriverPath, { ...process.env, DISPLAY: b.xvfb.display });
      b.session = await b.driver.newSession({
        'webkitgtk:browserOptions': { binary: miniBrowserPath, args: ['--automation'] },
      });
    } catch (e) {
      await b.close();
      throw e;
    }
    // No script timeout: WebKit arms it with the page's own setTimeout, which
    // the simulated clock would fire as it runs through simulated minutes.
    await b.session.cmd('POST', '/timeouts', { script: null });
    b.version = `webkitgtk/${b.session.capabilities.browserVersion}`;
    b.first = await b.session.cmd('GET', '/window');
    b.tabs = [];
    return b;
  }

  async newTab() {
    const handle = this.first ?? (await this.session.newWindow());
    this.first = null;
    const tab = new WebDriverTab(handle, this);
    await tab.run((s) => s.cmd('POST', '/window/rect', VIEWPORT)).catch(() => {});
    this.tabs.push(tab);
    return tab;
  }

  /** WebDriver has no network emulation: the pages' own (lib/page-prelude.mjs). */
  async setOffline(offline) {
    for (const tab of this.tabs) await tab.evaluate((off) => window.ksaNetwork.setOffline(off), offline);
  }

  async close() {
    await this.session?.quit();
    this.driver?.stop();
    this.xvfb?.child.kill('SIGTERM');
  }
}

class WebDriverTab {
  constructor(handle, browser) {
    this.handle = handle;
    this.browser = browser;
  }

  run(fn) {
    return this.browser.session.inWindow(this.handle, fn);
  }

  goto(url) {
    return this.run((s) => s.cmd('POST', '/url', { url }));
  }

  evaluate(fn, arg) {
    return this.run((s) => s.execute(String(fn), arg === undefined ? [] : [arg]));
  }

  /** The address of the current document: no script runs in the page. */
  url() {
    return this.run((s) => s.cmd('GET', '/url'));
  }

  pointerMove(x, y) {
    const move = { type: 'pointerMove', duration: 0, x: Math.round(x), y: Math.round(y), origin: 'viewport' };
    return this.run((s) =>
      s.cmd('POST', '/actions', { actions: [{ type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' }, actions: [move] }] }),
    );
  }

  async close() {
    this.browser.tabs = this.browser.tabs.filter((t) => t !== this);
    await this.browser.session.closeWindow(this.handle);
  }
}
