// A minimal client of classic W3C WebDriver over plain HTTP: enough to drive
// WebKitGTK's MiniBrowser through /usr/bin/WebKitWebDriver (neither
// Playwright nor puppeteer can: stock MiniBrowser has neither their pipe nor
// WebDriver BiDi). The driver process is ours and listens on 127.0.0.1.
//
// Classic WebDriver runs every command in the session's *current* window, so
// `Session.inWindow()` switches to a window and runs its commands as one unit:
// commands of several tabs never interleave.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './server.mjs';

// Upper bound, in real ms, for the driver to answer its status endpoint.
const START_MS = 20_000;

async function call(base, method, path, body) {
  // Every POST carries a JSON body, even an empty one (drivers reject none).
  if (method === 'POST' && body === undefined) body = {};
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`WebDriver ${method} ${path}: ${res.status} ${text.slice(0, 500)}`);
  }
  if (!res.ok || json?.value?.error) {
    const v = json?.value ?? {};
    const err = new Error(`WebDriver ${method} ${path}: ${v.error ?? res.status}: ${v.message ?? text.slice(0, 500)}`);
    err.webdriverError = v.error;
    throw err;
  }
  return json.value;
}

/** A driver process (e.g. WebKitWebDriver) on a free 127.0.0.1 port. */
export class DriverProcess {
  static async start(binary, env = process.env) {
    const port = await freePort();
    const d = new DriverProcess();
    d.log = '';
    d.child = spawn(binary, [`--port=${port}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const s of [d.child.stdout, d.child.stderr]) {
      s.setEncoding('utf8');
      s.on('data', (t) => (d.log = (d.log + t).slice(-20_000)));
    }
    d.base = `http://127.0.0.1:${port}`;
    const until = Date.now() + START_MS;
    for (;;) {
      if (d.child.exitCode !== null) throw new Error(`${binary} exited (${d.child.exitCode}):\n${d.log}`);
      try {
        await call(d.base, 'GET', '/status');
        return d;
      } catch (e) {
        if (Date.now() > until) throw new Error(`${binary}: no answer on ${d.base} after ${START_MS} ms: ${e.message}\n${d.log}`);
        await sleep(50);
      }
    }
  }

  async newSession(capabilities) {
    const v = await call(this.base, 'POST', '/session', { capabilities: { alwaysMatch: capabilities } });
    return new Session(this.base, v.sessionId, v.capabilities);
  }

  stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
  }
}

export class Session {
  constructor(base, id, capabilities) {
    this.base = base;
    this.id = id;
    this.capabilities = capabilities;
    this.current = null;
    this.queue = Promise.resolve();
  }

  cmd(method, path, body) {
    return call(this.base, method, `/session/${this.id}${path}`, body);
  }

  /** Runs `fn(session)` with `handle` as the current window, alone. */
  inWindow(handle, fn) {
    const run = this.queue.then(async () => {
      if (this.current !== handle) {
        await this.cmd('POST', '/window', { handle });
        this.current = handle;
      }
      return fn(this);
    });
    this.queue = run.catch(() => {});
    return run;
  }

  /** Runs `fn(session)` alone, whatever the current window. */
  alone(fn) {
    const run = this.queue.then(() => fn(this));
    this.queue = run.catch(() => {});
    return run;
  }

  /** A new top-level window; the current window stays what it was. */
  async newWindow() {
    return this.alone(async () => (await this.cmd('POST', '/window/new', { type: 'window' })).handle);
  }

  /** Closes `handle` (its pagehide runs) and returns the handles left. */
  closeWindow(handle) {
    return this.inWindow(handle, async () => {
      const left = await this.cmd('DELETE', '/window');
      this.current = null;
      return left;
    });
  }

  /** Runs `source` (a function's text) with `args` in the page; awaits a returned promise. */
  execute(source, args) {
    return this.cmd('POST', '/execute/sync', { script: `return (${source}).apply(null, arguments);`, args });
  }

  async quit() {
    await this.cmd('DELETE', '').catch(() => {});
  }
}
