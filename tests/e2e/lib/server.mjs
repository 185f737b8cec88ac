// The reference server (target/debug/ksa-server) as a child process on a
// free 127.0.0.1 port, with --test-endpoints: counters, the clock offset and
// the fault switches of www/server/README.md. Optionally on its own
// redis-server, so that it can be stopped and started again without losing
// its sessions.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { root } from './paths.mjs';
import { join } from 'node:path';

// The debug build: scripts/test has it from the server's own tests, and with
// a lowered password-hashing cost it starts in a moment.
export const serverBinary = process.env.KSA_SERVER_BIN ?? join(root, 'target/debug/ksa-server');
// Fixed, so that a restarted server verifies the tokens it issued before.
const SECRET = 'e2e-secret-e2e-secret-e2e-secret-e2e!';
// Upper bound for a process to start or stop.
const START_MS = 20_000;

export const DEMO = { email: 'demo@example.com', password: 'demo-password' };

/** A port the OS says is free now, on 127.0.0.1. */
export async function freePort() {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * Resolves when `child` printed a line matching `re` on stdout; rejects on
 * exit or after `ms`, with `log()` (what the child printed, by default) in
 * the error.
 */
export function waitForLine(child, re, what, { log = null, ms = START_MS } = {}) {
  return new Promise((resolve, reject) => {
    let out = '';
    const printed = () => (log ? log() : out);
    const timer = setTimeout(() => fail(new Error(`${what}: no "${re}" after ${ms} ms:\n${printed()}`)), ms);
    const onData = (chunk) => {
      out += chunk;
      const m = re.exec(out);
      if (m) {
        cleanup();
        resolve(m);
      }
    };
    const onExit = (code) => fail(new Error(`${what} exited (${code}) before it was ready:\n${printed()}`));
    const fail = (e) => {
      cleanup();
      reject(e);
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.on('exit', onExit);
  });
}

/** Ends a child process: SIGTERM, and SIGKILL if it has not exited within `ms`. */
export async function stopChild(child, ms = START_MS) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  let timer;
  const late = new Promise((r) => (timer = setTimeout(() => r('late'), ms)));
  const how = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (how === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
}

export class RedisProcess {
  static async start() {
    const port = await freePort();
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await waitForLine(child, /Ready to accept connections/, 'redis-server');
    const r = new RedisProcess();
    r.child = child;
    r.url = `redis://127.0.0.1:${port}/`;
    return r;
  }

  async stop() {
    await stopChild(this.child);
  }
}

/**
 * A running ksa-server. `flags` are its command-line timeouts, e.g.
 * { accessTtlSecs: 300, idleTimeoutSecs: 900 }; `wwwDir` and `pkgDir` are
 * what it serves at / and /pkg/.
 */
export class Server {
  static async start({ flags = {}, wwwDir, pkgDir, redis = false } = {}) {
    if (!existsSync(serverBinary)) throw new Error(`${serverBinary} is missing: cargo build -p ksa-server`);
    const s = new Server();
    s.flags = flags;
    s.wwwDir = wwwDir;
    s.pkgDir = pkgDir;
    s.redis = redis ? await RedisProcess.start() : null;
    s.port = await freePort();
    await s.#spawn();
    return s;
  }

  async #spawn() {
    const args = ['--addr', `127.0.0.1:${this.port}`, '--test-endpoints', '--www-dir', this.wwwDir, '--pkg-dir', this.pkgDir];
    for (const [k, v] of Object.entries(this.flags)) args.push(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, String(v));
    const env = { ...process.env, KSA_SECRET: SECRET, KSA_TEST_ARGON2_MEMORY_KIB: '64' };
    delete env.REDIS_URL;
    if (this.redis) env.REDIS_URL = this.redis.url;
    this.child = spawn(serverBinary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.stderr = '';
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (d) => (this.stderr += d));
    const m = await waitForLine(this.child, /listening on (http:\/\/[^/\s]+)\//, 'ksa-server');
    this.base = m[1];
  }

  /** Stops the process (its sessions survive only with redis). */
  async stop() {
    await stopChild(this.child);
  }

  /** Starts it again on the same port with the same flags. */
  async start() {
    await this.#spawn();
  }

  async close() {
    await this.stop();
    await this.redis?.stop();
  }

  async #call(method, path, body) {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  /** GET /api/test/counters. */
  counters() {
    return this.#call('GET', '/api/test/counters');
  }

  /** Requests to `route` (e.g. '/api/auth/refresh') in a counters snapshot. */
  static requests(counters, route) {
    return counters.requests[route] ?? 0;
  }

  /** Sets the server's clock to `nowMs` (the page's simulated Date.now()). */
  setNow(nowMs) {
    return this.#call('POST', '/api/test/clock', { nowMs: Math.round(nowMs) });
  }

  /** Arms a fault: { path, kind: 'status'|'hang'|'malformed', status?, ms?, times? }. */
  fault(spec) {
    return this.#call('POST', '/api/test/faults', spec);
  }

  faults() {
    return this.#call('GET', '/api/test/faults');
  }

  /** POST with a cookie header, as a client other than the browser would. */
  async post(path, cookie) {
    const res = await fetch(`${this.base}${path}`, { method: 'POST', headers: { cookie, 'x-requested-with': 'e2e' } });
    return { status: res.status, body: await res.text() };
  }
}
