// 5. The reference server under load: keepalive and refresh requests per
// second with p50/p99 latency from a bounded Node load generator on
// 127.0.0.1, for the memory store, the Redis store and two instances sharing
// one Redis; and whether every refresh-token rotation stayed single-use.
import { request, Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { startKsaServer, startRedis } from '../lib/harness.mjs';
import { fixed, int, quantile } from '../lib/report.mjs';

// Virtual users: one session each, one request in flight each.
const USERS = 32;
// Each phase ends at whichever bound comes first.
const PHASE_MS = 8_000;
const PHASE_MAX_REQUESTS = 400_000;
// Every RACE_EVERY-th refresh of a user sends its cookie twice at once (to
// both instances when there are two): the two-tab race. Exactly one of the
// pair may rotate; the other must be a grace replay, never a reuse.
const RACE_EVERY = 10;
const REQUEST_TIMEOUT_MS = 5_000;
// Logins hash a password with argon2id (19 MiB): a few at a time.
const LOGIN_CONCURRENCY = 2;

// No keepalive rate limit: every virtual user pings back to back, and the
// bench measures the accepted path (429 is a cheaper reply). Every virtual
// user signs in to the one demo account: more sessions than the server keeps
// per user by default (10).
const serverFlags = ['--keepalive-min-interval-ms', '0', '--max-sessions-per-user', '1000'];
// The header the SDK sends: the server refuses its POSTs to a client that
// proves neither it nor its own Origin (a cross-site request).
const SDK_HEADER = { 'x-requested-with': 'bench' };

function post(agent, origin, path, headers, body) {
  const url = new URL(path, origin);
  const t0 = process.hrtime.bigint();
  return new Promise((resolve) => {
    const req = request(
      { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...headers, ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : { 'content-length': 0 }) }, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, setCookie: res.headers['set-cookie'] ?? [], ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, setCookie: [], ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    req.end(body);
  });
}

function cookieValue(setCookie, name) {
  for (const c of setCookie) {
    const m = c.match(new RegExp(`^${name}=([^;]*)`));
    if (m) return m[1];
  }
  return null;
}

async function login(agent, origin) {
  const r = await post(agent, origin, '/api/auth/login', SDK_HEADER, JSON.stringify({ email: 'demo@example.com', password: 'demo-password', mode: 'token' }));
  const sid = cookieValue(r.setCookie, 'ksa_sid');
  const rt = cookieValue(r.setCookie, 'ksa_rt');
  if (r.status !== 200 || !sid || !rt) throw new Error(`load: login on ${origin} answered ${r.status}`);
  return { sid, rt };
}

/** Runs one phase against `origins` (alternating per request); returns throughput, latencies and the client's view of rotation. */
async function phase(kind, agent, origins, users) {
  const latencies = [];
  let sent = 0;
  let failed = 0;
  let steps = 0;
  let races = 0;
  const start = Date.now();
  const end = start + PHASE_MS;
  const more = () => Date.now() < end && sent < PHASE_MAX_REQUESTS;
  const record = (r) => {
    latencies.push(r.ms);
    if (r.status < 200 || r.status > 299) failed++;
  };
  await Promise.all(
    users.map(async (u, i) => {
      for (let n = i; more(); n++) {
        const origin = origins[n % origins.length];
        if (kind === 'keepalive') {
          sent++;
          record(await post(agent, origin, '/api/keepalive', { cookie: `ksa_sid=${u.sid}`, ...SDK_HEADER }));
          continue;
        }
        const cookie = { cookie: `ksa_rt=${u.rt}`, ...SDK_HEADER };
        const race = n % RACE_EVERY === RACE_EVERY - 1;
        const replies = race
          ? await Promise.all([post(agent, origin, '/api/auth/refresh', cookie), post(agent, origins[(n + 1) % origins.length], '/api/auth/refresh', cookie)])
          : [await post(agent, origin, '/api/auth/refresh', cookie)];
        sent += replies.length;
        steps++;
        if (race) races++;
        replies.forEach(record);
        // Either reply carries the family's current token; after a refusal
        // the family is gone and this user stops (the failures column shows it).
        const next = replies.every((r) => r.status === 200) && replies.map((r) => cookieValue(r.setCookie, 'ksa_rt')).find(Boolean);
        if (!next) break;
        u.rt = next;
      }
    }),
  );
  const seconds = (Date.now() - start) / 1000;
  return { kind, requests: latencies.length, seconds, perSecond: latencies.length / seconds, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), failed, steps, races };
}

async function sumCounters(servers) {
  const all = await Promise.all(servers.map((s) => s.counters()));
  const sum = (k) => all.reduce((n, c) => n + (c[k] ?? 0), 0);
  return { rotations: sum('refreshRotations'), grace: sum('graceReplays'), reuse: sum('reuseDetections'), rateLimited: sum('keepaliveRateLimited') };
}

async function runConfig({ label, redis, instances }) {
  const db = redis ? await startRedis() : null;
  const servers = [];
  const agent = new Agent({ keepAlive: true, maxSockets: USERS * 2 });
  try {
    for (let i = 0; i < instances; i++) servers.push(await startKsaServer({ flags: serverFlags, redisUrl: db?.url }));
    const origins = servers.map((s) => s.origin);
    const users = [];
    for (let i = 0; i < USERS; i += LOGIN_CONCURRENCY) {
      users.push(...(await Promise.all(Array.from({ length: Math.min(LOGIN_CONCURRENCY, USERS - i) }, (_, k) => login(agent, origins[(i + k) % origins.length])))));
    }
    const out = [];
    for (const kind of ['keepalive', 'refresh']) {
      await Promise.all(servers.map((s) => s.reset()));
      const p = await phase(kind, agent, origins, users);
      await sleep(100);
      out.push({ label, ...p, ...(await sumCounters(servers)) });
    }
    return out;
  } finally {
    agent.destroy();
    for (const s of servers.reverse()) await s.stop();
    if (db) await db.stop();
  }
}

export async function runLoad() {
  const configs = [
    { label: 'memory store, 1 instance', redis: false, instances: 1 },
    { label: 'Redis store, 1 instance', redis: true, instances: 1 },
    { label: 'Redis store, 2 instances', redis: true, instances: 2 },
  ];
  const results = [];
  for (const c of configs) results.push(...(await runConfig(c)));
  const head = ['store', 'endpoint', 'requests/s', 'p50 ms', 'p99 ms', 'requests', 'non-2xx', 'rotations', 'grace replays', 'reuse detections', 'single-use'];
  const rows = results.map((r) => {
    const refresh = r.kind === 'refresh';
    // Single-use: every refresh step (a lone request or a raced pair) rotated
    // exactly once, every raced twin was a grace replay, nothing was reuse.
    const singleUse = refresh ? (r.rotations === r.steps && r.grace === r.races && r.reuse === 0 && r.failed === 0 ? 'yes' : 'NO') : '';
    return [r.label, refresh ? 'POST /api/auth/refresh' : 'POST /api/keepalive', int(r.perSecond), fixed(r.p50, 2), fixed(r.p99, 2), int(r.requests), int(r.failed), refresh ? int(r.rotations) : '', refresh ? int(r.grace) : '', refresh ? int(r.reuse) : '', singleUse];
  });
  const notes = [
    `Node load generator (node:http, keep-alive) on 127.0.0.1: ${USERS} virtual users, each with its own session and one request in flight (two during a race); each phase ${PHASE_MS / 1000} s or ${int(PHASE_MAX_REQUESTS)} requests. The generator, the server(s) and redis-server share this machine's cores.`,
    `Two instances: requests alternate between them. Every ${RACE_EVERY}th refresh of a user presents its cookie twice at once (to both instances when there are two). Single-use: rotations = refresh steps, grace replays = raced pairs, reuse detections 0 (expected 0), no refresh answered other than 200.`,
    `Server flags: ${serverFlags.join(' ')} (keepalives back to back per session would otherwise be 429s); the refresh grace window is the default 10 s.`,
  ];
  return { sections: [{ title: '5. Reference server under load', head, rows, notes }], data: results };
}
