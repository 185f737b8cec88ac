// 3. Requests per simulated hour against the reference server: 1, 5 and 10
// tabs (pages of one browser context, so they share cookies, BroadcastChannel
// and Web Locks), active and idle, cookie and token mode; this SDK next to
// the seed designs (www/baselines/). page.clock drives Date and every timer,
// the SDK's included; the server counts what it received.
import { setTimeout as sleep } from 'node:timers/promises';
import { newPage, pkgReady, routeCount, startKsaServer } from '../lib/harness.mjs';
import { int, ratio } from '../lib/report.mjs';

export const TAB_COUNTS = [1, 5, 10];
const HOUR_MS = 60 * 60_000;
// Simulated time per clock step. Below the SDK's requestTimeoutMs (10 s): a
// request started during a step gets real time to finish before the next
// step could reach its abort timer.
const STEP_MS = 5_000;
// Active: one pointermove every step, in one tab; the active tab changes
// every simulated minute, as a user moving between tabs.
const ACTIVE_TAB_MS = 60_000;
// Real time for requests still in flight to land before counting.
const SETTLE_MS = 300;
// Tabs open one after another, this much simulated time apart, as a user
// opens them: tabs that all open in the same instant would also all time
// their requests alike (seed 002's ten simultaneous refreshes then rotate
// the cookie twice within one burst and the server revokes the family).
const TAB_GAP_MS = 30_000;
// While a tab signs in or joins, the bench looks every START_REAL_MS of real
// time and moves the clock START_TICK_MS: the login's password hash takes real
// time, and must not meet the SDK's 10 s request timeout in simulated time.
const START_TICK_MS = 50;
const START_REAL_MS = 20;
const START_TICKS = 400;

// Server time is real time while the browser's is simulated, so the server is
// set up never to time out during the run, and without the keepalive rate
// limit (simulated minutes pass in real milliseconds). The values are the
// ones the browsers are told: a 30-minute sliding session, 15-minute tokens.
export const serverFlags = ['--idle-timeout-secs', '1800', '--access-ttl-secs', '900', '--keepalive-min-interval-ms', '0'];

// The seeds never look at activity, so one run (without events) stands for
// both their rows: that keeps the whole bench inside its time budget.
const designs = [
  { design: 'sdk', mode: 'cookie', label: 'keep-session-alive, cookie (heartbeat)', needsPkg: true },
  { design: 'seed000', mode: 'cookie', label: 'seed 000: ping every 5 min per tab', ignoresActivity: true },
  { design: 'sdk', mode: 'token', label: 'keep-session-alive, token (refresh)', needsPkg: true },
  { design: 'seed002', mode: 'token', label: 'seed 002: each tab refreshes 1 min before expiry', ignoresActivity: true },
];

/** The result of a scenario; for a design that ignores activity, its one run serves active and idle. */
export function resultFor(results, design, mode, active, tabs) {
  const ignores = designs.find((d) => d.design === design)?.ignoresActivity;
  return results.find((r) => r.design === design && r.mode === mode && r.tabs === tabs && (ignores || r.active === active));
}

async function runScenario(browser, server, { design, mode }, tabs, active) {
  const context = await browser.newContext();
  try {
    // From here on, time moves only when the bench moves it.
    const start = Date.UTC(2026, 0, 5, 9, 0, 0);
    await context.clock.install({ time: start });
    await context.clock.pauseAt(start + 1_000);
    const pages = [];
    for (let i = 0; i < tabs; i++) {
      if (i > 0) await context.clock.runFor(TAB_GAP_MS);
      const page = await newPage(context);
      await page.goto(`${server.origin}/requests.html`);
      await page.evaluate(([d, m, first]) => globalThis.bench.begin(d, m, first), [design, mode, i === 0]);
      let started;
      for (let look = 0; look < START_TICKS; look++) {
        started = await page.evaluate(() => globalThis.bench.ready());
        if (started.state !== 'pending') break;
        await sleep(START_REAL_MS);
        await context.clock.runFor(START_TICK_MS);
      }
      if (started.state !== 'ready') throw new Error(`requests: tab ${i + 1} of ${design}/${mode}: ${started.error ?? started.state}`);
      pages.push(page);
    }
    await sleep(SETTLE_MS);
    await server.reset();
    for (let t = 0; t < HOUR_MS; t += STEP_MS) {
      if (active) await pages[Math.floor(t / ACTIVE_TAB_MS) % tabs].evaluate(() => globalThis.bench.activity());
      await context.clock.runFor(STEP_MS);
    }
    await sleep(SETTLE_MS);
    const c = await server.counters();
    const status = await Promise.all(pages.map((p) => p.evaluate(() => globalThis.bench.status())));
    return {
      keepalive: routeCount(c, '/keepalive'),
      refresh: routeCount(c, '/auth/refresh'),
      logout: routeCount(c, '/auth/logout'),
      reuse: c.reuseDetections,
      authenticatedTabs: status.filter((s) => s.authenticated).length,
      failures: status.reduce((n, s) => n + (s.failures ?? 0), 0),
    };
  } finally {
    await context.close();
  }
}

export async function runRequests(browser) {
  const server = await startKsaServer({ flags: serverFlags });
  const results = [];
  try {
    for (const d of designs) {
      if (d.needsPkg && !pkgReady()) continue;
      for (const active of d.ignoresActivity ? [false] : [true, false]) {
        for (const tabs of TAB_COUNTS) {
          const t0 = Date.now();
          const r = await runScenario(browser, server, d, tabs, active);
          results.push({ ...d, tabs, active, ...r, seconds: (Date.now() - t0) / 1000 });
          console.error(`bench: requests ${d.design}/${d.mode} ${active ? 'active' : 'idle'} ${tabs} tabs: ${JSON.stringify(r)} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
        }
      }
    }
  } finally {
    await server.stop();
  }
  return { sections: [table(results)], data: results };
}

// The requests that keep the session: heartbeats and refreshes. A logout is
// the session ending (the SDK's idle timeout), shown apart.
const keeping = (r) => (r ? r.keepalive + r.refresh : undefined);

function table(results) {
  const head = ['design', 'user', ...TAB_COUNTS.map((n) => `${n} tab${n > 1 ? 's' : ''}`), 'logouts (1/5/10)', 'vs seed (1/5/10)'];
  const rows = [];
  for (const active of [true, false]) {
    for (const d of designs) {
      const cells = TAB_COUNTS.map((n) => resultFor(results, d.design, d.mode, active, n));
      if (cells.every((c) => !c)) {
        rows.push([d.label, active ? 'active' : 'idle', ...TAB_COUNTS.map(() => 'pkg/ not built'), '', '']);
        continue;
      }
      const seed = d.mode === 'cookie' ? 'seed000' : 'seed002';
      const vs = d.design === 'sdk' ? TAB_COUNTS.map((n) => ratio(keeping(resultFor(results, 'sdk', d.mode, active, n)), keeping(resultFor(results, seed, d.mode, active, n)))).join(' / ') : '';
      const user = active ? 'active' : 'idle';
      rows.push([d.label, d.ignoresActivity ? `${user} (one run for both)` : user, ...cells.map((c) => int(keeping(c))), cells.map((c) => int(c.logout)).join(' / '), vs]);
    }
  }
  const problems = results.filter((r) => r.reuse > 0 || r.failures > 0 || ((r.active || r.ignoresActivity) && r.authenticatedTabs !== r.tabs));
  const notes = [
    `Heartbeats (POST /api/keepalive) + refreshes (POST /api/auth/refresh) the server counted in one simulated hour (page.clock, ${STEP_MS / 1000} s steps), after sign-in and the opening of the tabs (${TAB_GAP_MS / 1000} simulated s apart); logouts apart. "vs seed": this SDK over the seed design of the same mode.`,
    `Active: a pointermove every ${STEP_MS / 1000} simulated s in one tab, the tab changing every simulated minute. Idle: no activity at all after sign-in. The seeds do not look at activity: one run without events gives both their rows.`,
    `Server: ksa-server ${serverFlags.join(' ')}; SDK options: sessionTimeoutMs 30 min (cookie), defaults otherwise (idleTimeoutMs 15 min, refreshLeadMs 60 s).`,
    'Logouts: POST /api/auth/logout requests the server counted when the idle session ended. One per session, whatever the number of tabs: at a timeout the leader tab alone tells the server (page.clock moves all tabs through the same step, so every tab reaches the idle deadline at once).',
  ];
  if (problems.length) notes.push(`Anomalies: ${problems.map((r) => `${r.design}/${r.mode}/${r.active ? 'active' : 'idle'}/${r.tabs}: reuse ${r.reuse}, failed refreshes ${r.failures}, signed-in tabs ${r.authenticatedTabs}/${r.tabs}`).join('; ')}.`);
  return { title: '3. Requests per simulated hour (reference server)', head, rows, notes };
}
