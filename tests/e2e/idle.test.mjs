// Scenarios 4-6: idle timeouts across tabs, an idle timeout longer than the
// server's, and holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { World, ROUTES, delta, tokenOptions, cookieOptions, signedInTabs } from './lib/harness.mjs';
import { record } from './lib/report.mjs';

/** All requests of `tabs` to `path` sent at or after simulated time `from`. */
async function requestsFrom(tabs, path, from) {
  const all = (await Promise.all(tabs.map((tab) => tab.requests(path)))).flat();
  return all.filter((r) => r.at >= from);
}

const near = (a, b, tolerance = 10) => Math.abs(a - b) <= tolerance;

test('4. idle: no request after the idle deadline, the warning comes warningMs before the end in every tab, staySignedIn() in any tab extends all, every tab logs out as idle, activity in one tab keeps the others alive', async (t) => {
  const IDLE = 60_000;
  const WARNING = 20_000;
  const SESSION = 120_000;
  const w = await World.start({ server: { flags: { accessTtlSecs: 300, idleTimeoutSecs: SESSION / 1000 } } });
  t.after(() => w.close());
  const options = tokenOptions({ keepaliveUrl: ROUTES.keepalive, sessionTimeoutMs: SESSION, idleTimeoutMs: IDLE, warningMs: WARNING });
  const tabs = await signedInTabs(w, 3, options);
  const [a, , c] = tabs;
  const states = () => Promise.all(tabs.map((tab) => tab.state()));
  const idleAt0 = (await a.state()).idleAt;
  assert.ok((await states()).every((s) => s.idleAt === idleAt0), 'every tab agrees on the idle deadline');

  // No input: the warning comes warningMs before the deadline, in every tab.
  await w.advance(idleAt0 - WARNING + 5_000 - w.now, { step: 5_000 });
  const warnings = await Promise.all(tabs.map((tab) => tab.events('warning')));
  for (const [i, ws] of warnings.entries()) {
    assert.equal(ws.length, 1, `${tabs[i].name}: one warning`);
    assert.equal(ws[0].detail.cause, 'idle');
    assert.ok(near(ws[0].at, idleAt0 - WARNING), `${tabs[i].name}: warning at ${ws[0].at - idleAt0} ms from the deadline`);
    assert.ok(near(ws[0].detail.remainingMs, WARNING), `${tabs[i].name}: remainingMs ${ws[0].detail.remainingMs}`);
  }

  // "Stay signed in" in the third tab extends all of them.
  const stayAt = w.now;
  await c.eval(() => window.keeper.staySignedIn());
  await w.settle();
  await w.advance(1_000, { step: 500 });
  const extended = await states();
  for (const [i, s] of extended.entries()) {
    assert.ok(near(s.idleAt, stayAt + IDLE), `${tabs[i].name}: idleAt moved to ${s.idleAt - stayAt} ms after staySignedIn()`);
    assert.equal(s.warningRemainingMs, null, `${tabs[i].name}: warning withdrawn`);
    assert.ok((await tabs[i].events('activity')).length >= 1, `${tabs[i].name}: an activity event`);
  }

  // No input again: second warning, then every tab logs out as idle.
  const idleAt1 = extended[0].idleAt;
  // Each page runs its own copy of the clock through a step, so what one tab
  // hears from another is stamped up to one step off: small steps near the end.
  await w.advance(idleAt1 - 1_000 - w.now, { step: 5_000 });
  await w.advance(6_000, { step: 100 });
  const causes = [];
  for (const tab of tabs) {
    const [second] = (await tab.events('warning')).slice(1);
    assert.ok(second && near(second.at, idleAt1 - WARNING), `${tab.name}: second warning ${WARNING} ms before the end`);
    const logouts = await tab.events('logout');
    assert.equal(logouts.length, 1, `${tab.name}: logged out once`);
    causes.push(logouts[0].detail);
    assert.equal(logouts[0].detail.reason, 'idle', `${tab.name}: logout cause ${JSON.stringify(logouts[0].detail)}`);
    assert.ok(near(logouts[0].at, idleAt1, 110), `${tab.name}: logged out at the deadline (${logouts[0].at - idleAt1} ms)`);
  }
  assert.ok((await states()).every((s) => !s.authenticated));

  // After the deadline: neither heartbeat nor refresh, here or later.
  const afterIdle = await w.counters();
  await w.advance(10 * 60_000, { step: 30_000 });
  const late = delta(afterIdle, await w.counters());
  const sentLate = [...(await requestsFrom(tabs, ROUTES.keepalive, idleAt1)), ...(await requestsFrom(tabs, ROUTES.refresh, idleAt1))];
  assert.deepEqual(sentLate, [], 'no heartbeat or refresh sent after the idle deadline');
  assert.equal(late.heartbeats + late.refreshes, 0);

  // Activity in one tab keeps the other two from going idle.
  await a.login();
  await w.settle();
  await w.until(states, (ss) => ss.every((s) => s.authenticated));
  const marks = await Promise.all(tabs.map(async (tab) => (await tab.events()).length));
  const SPAN = 5 * IDLE;
  const beforeActive = await w.counters();
  await w.advance(SPAN, { step: 5_000, each: () => a.activity() });
  const active = delta(beforeActive, await w.counters());
  const trouble = [];
  for (const [i, tab] of tabs.entries()) {
    const since = (await tab.events()).slice(marks[i]);
    for (const e of since) if (['warning', 'idle', 'timeout', 'logout'].includes(e.type)) trouble.push(`${tab.name}: ${e.type}`);
  }
  const kept = await states();
  record(t, import.meta.url, 'scenario 4', {
    tabs: 3,
    idleTimeoutMs: IDLE,
    warningMs: WARNING,
    warningsPerTabBeforeStay: warnings.map((ws) => ws.length),
    logoutDetails: causes,
    requestsAfterIdleDeadline: sentLate.length + late.heartbeats + late.refreshes,
    activityOnlyInFirstTab: { simulatedMs: SPAN, warningsOrLogouts: trouble.length, heartbeats: active.heartbeats, refreshes: active.refreshes },
  });
  assert.deepEqual(trouble, [], 'no warning, idle or logout in any tab while the first tab is active');
  assert.ok(kept.every((s) => s.authenticated));
  assert.ok(kept.every((s) => s.idleAt >= w.now + IDLE - 15_000), 'the other tabs follow the first tab’s activity');
  assert.deepEqual(w.problems, []);
});

test('5. idle timeout longer than the server timeout: the session stays alive while the user is present, then lapses', async (t) => {
  const SESSION = 120_000;
  const IDLE = 10 * 60_000;
  const w = await World.start({ server: { flags: { idleTimeoutSecs: SESSION / 1000 } } });
  t.after(() => w.close());
  // No logoutUrl: the server session must lapse by itself, not be revoked.
  const options = cookieOptions(SESSION, { idleTimeoutMs: IDLE, logoutUrl: undefined });
  const [tab] = await signedInTabs(w, 1, options, 'cookie');
  const loginAt = w.now;
  const before = await w.counters();
  const sid = (await w.context.cookies()).find((c) => c.name === 'ksa_sid').value;
  // The user is present (no input needed) until the idle deadline.
  await w.advance(IDLE + 30_000, { step: 10_000 });
  const d = delta(before, await w.counters());
  const logouts = await tab.events('logout');
  const beats = (await tab.events('heartbeat')).map((e) => e.at);
  const lastBeat = Math.max(...beats);
  // Then nothing keeps it: it lapses one server timeout after the last touch.
  await w.advance(lastBeat + SESSION + 10_000 - w.now, { step: 10_000 });
  const lapsed = await w.server.post(ROUTES.keepalive, `ksa_sid=${sid}`);
  record(t, import.meta.url, 'scenario 5', {
    sessionTimeoutMs: SESSION,
    idleTimeoutMs: IDLE,
    heartbeats: d.heartbeats,
    heartbeatTimesAfterLogin: beats.map((b) => b - loginAt),
    keepaliveRejected: d.keepaliveRejected,
    logout: logouts.map((e) => ({ ...e.detail, afterLoginMs: e.at - loginAt })),
    keepaliveAfterLapse: lapsed.status,
  });
  assert.equal(d.keepaliveRejected, 0, 'the server session never lapsed while the user was present');
  assert.ok(d.heartbeats >= Math.floor(IDLE / (SESSION - SESSION / 4)) - 1, `${d.heartbeats} heartbeats kept it alive`);
  assert.ok(beats.every((b) => b < loginAt + IDLE), 'no heartbeat after the idle deadline');
  assert.equal(logouts.length, 1);
  assert.equal(logouts[0].detail.reason, 'idle');
  assert.ok(near(logouts[0].at, loginAt + IDLE, 100), 'logged out at the idle deadline');
  assert.equal(lapsed.status, 401, 'the server session lapsed afterwards');
  assert.deepEqual(w.problems, []);
});

test('6. holds: a hold in one tab keeps every tab present without input; after release(), or after the holding tab closes, idle follows', async (t) => {
  const IDLE = 60_000;
  const SESSION = 120_000;
  const w = await World.start({ server: { flags: { accessTtlSecs: 300, idleTimeoutSecs: SESSION / 1000 } } });
  t.after(() => w.close());
  const options = tokenOptions({ keepaliveUrl: ROUTES.keepalive, sessionTimeoutMs: SESSION, idleTimeoutMs: IDLE, warningMs: 20_000 });
  const tabs = await signedInTabs(w, 3, options);
  const [a, b, c] = tabs;
  const states = () => Promise.all(tabs.map((tab) => tab.state()));
  const HELD = 5 * IDLE;
  const marks = async (ts) => Promise.all(ts.map(async (tab) => (await tab.events()).length));
  const endings = async (ts, from) => {
    const out = [];
    for (const [i, tab] of ts.entries()) {
      for (const e of (await tab.events()).slice(from[i])) if (['warning', 'idle', 'timeout', 'logout'].includes(e.type)) out.push({ tab: tab.name, type: e.type, at: e.at, detail: e.detail });
    }
    return out;
  };

  // A hold in tab B: nobody warns or logs out for five idle timeouts.
  const before = await w.counters();
  const m0 = await marks(tabs);
  const hold = await b.eval(() => {
    window.hold = window.keeper.holdActive('video');
    return { label: window.hold.label, held: window.hold.held };
  });
  await w.settle();
  await w.advance(HELD, { step: 5_000 });
  const heldStates = await states();
  const duringHold = await endings(tabs, m0);
  const d = delta(before, await w.counters());

  // release(): idle follows in every tab.
  const releasedAt = w.now;
  await b.eval(() => window.hold.release());
  const m1 = await marks(tabs);
  // Small steps across the deadline: cross-tab stamps are up to one step off.
  await w.advance(IDLE - 1_000, { step: 5_000 });
  await w.advance(2_000, { step: 100 });
  await w.advance(IDLE, { step: 5_000 });
  const afterRelease = await endings(tabs, m1);
  const releaseLogouts = afterRelease.filter((e) => e.type === 'logout');

  // Again with the hold in tab C, which then closes.
  await a.login();
  await w.settle();
  await w.until(states, (ss) => ss.every((s) => s.authenticated));
  await c.eval(() => (window.hold = window.keeper.holdActive('upload')));
  await w.settle();
  await w.advance(2 * IDLE, { step: 5_000 });
  const m2 = await marks([a, b]);
  const holdsBeforeClose = (await a.state()).holds;
  const closedAt = w.now;
  await c.close();
  await w.settle();
  // Right after the close, before the clock moves: did pagehide release the hold?
  const holdsRightAfterClose = await w.until(
    () => Promise.all([a, b].map(async (tab) => (await tab.state()).holds)),
    (hs) => hs.every((n) => n === 0),
    1_000,
  );
  await w.advance(IDLE - 1_000, { step: 5_000 });
  await w.advance(2_000, { step: 100 });
  await w.advance(2 * IDLE, { step: 5_000 });
  const afterClose = await endings([a, b], m2);
  const closeLogouts = afterClose.filter((e) => e.type === 'logout');
  record(t, import.meta.url, 'scenario 6', {
    hold,
    heldMs: HELD,
    holdsSeen: heldStates.map((s) => s.holds),
    warningsOrLogoutsWhileHeld: duringHold.length,
    heartbeatsWhileHeld: d.heartbeats,
    refreshesWhileHeld: d.refreshes,
    logoutAfterReleaseMs: releaseLogouts.map((e) => ({ tab: e.tab, ms: e.at - releasedAt, ...e.detail })),
    holdsBeforeClose,
    holdsRightAfterClose,
    logoutAfterHoldingTabClosedMs: closeLogouts.map((e) => ({ tab: e.tab, ms: e.at - closedAt, ...e.detail })),
  });
  assert.deepEqual(hold, { label: 'video', held: true });
  assert.ok(heldStates.every((s) => s.holds >= 1 && s.authenticated), 'every tab sees the hold and stays signed in');
  assert.deepEqual(duringHold, [], 'no warning, idle or logout while held');
  assert.ok(d.heartbeats >= 1 && d.keepaliveRejected === 0, 'heartbeats went on while held');
  assert.ok(d.refreshes >= 1, 'refreshes went on while held');
  assert.equal(releaseLogouts.length, 3, 'every tab logged out after release()');
  for (const e of releaseLogouts) {
    assert.equal(e.detail.reason, 'idle');
    assert.ok(near(e.at - releasedAt, IDLE, 110), `${e.tab}: idle ${e.at - releasedAt} ms after release()`);
  }
  assert.ok(holdsBeforeClose >= 1);
  assert.deepEqual(holdsRightAfterClose, [0, 0], 'the closing tab released its hold on pagehide, at once');
  assert.equal(closeLogouts.length, 2, 'both remaining tabs logged out after the holding tab closed');
  for (const e of closeLogouts) {
    assert.equal(e.detail.reason, 'idle');
    assert.ok(near(e.at - closedAt, IDLE, 110), `${e.tab}: idle ${e.at - closedAt} ms after the close`);
  }
  assert.deepEqual(w.problems, []);
});
