// The scenarios every server app runs (tests/e2e/servers-*.test.mjs), on a
// running app of ./apps.mjs with a session timeout of `sessionMs`, its keeper
// told the same (`sessionTimeoutMs`, from the page). Each takes a fresh
// Chromium context, signs in through the app's form, and asserts on what the
// server counted and what the tabs saw.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { record } from '../../lib/report.mjs';
import { newRequests, total } from './apps.mjs';
import { AppWorld, WAIT_MS, eventsByTab } from './world.mjs';

const allStates = (tabs) => Promise.all(tabs.map((t) => t.state()));
const signedOut = (states) => states.every((s) => !s.authenticated);

/** Waits for the last requests of the tabs (a logout sent with keepalive) to reach the server. */
async function quiet(w) {
  await w.settle();
  await sleep(300);
  await w.settle();
}

/**
 * Heartbeats keep the session alive through several of the server's
 * timeouts while the user works in a tab that does not lead, with CSRF
 * protection on: every keepalive passes the CSRF check (204), and the
 * server still has the signed-in session at the end.
 */
export async function staysAlive(t, app, { sessionMs, file, label }) {
  const w = await AppWorld.start(app);
  t.after(() => w.close());
  const before = await app.state();
  const tabs = await w.signedInTabs(2);
  const leader = await w.leader();
  const worker = tabs.find((x) => x !== leader);
  // 3.5 timeouts: without a touch at least every timeout, the server ends the session.
  const timeouts = 3.5;
  await w.activeUntil(worker, timeouts * sessionMs);
  await w.settle();
  const after = await app.state();
  const states = await allStates(tabs);
  const keepalives = newRequests(before, after, app.routes.keepalive);
  const heartbeats = await eventsByTab(tabs, 'heartbeat');
  const errors = await eventsByTab(tabs, 'error');
  const logouts = await eventsByTab(tabs, 'logout');
  record(t, file, label, {
    sessionMs,
    timeouts,
    keepalivesOnServer: keepalives,
    heartbeatEvents: Object.fromEntries(Object.entries(heartbeats).map(([k, v]) => [k, v.length])),
    errors: Object.values(errors).flat().map((e) => e.detail),
    signedInOnServer: after.signedIn,
    problems: w.problems,
  });
  assert.ok(states.every((s) => s.authenticated), `every tab is still signed in: ${JSON.stringify(states)}`);
  assert.equal(after.signedIn, 1, 'the server still has the signed-in session');
  assert.deepEqual(Object.keys(keepalives), ['204'], `every keepalive passed the CSRF check and was answered 204: ${JSON.stringify(keepalives)}`);
  assert.ok(keepalives['204'] >= Math.floor(timeouts), `the session outlived ${timeouts} timeouts on the keepalives alone: ${keepalives['204']}`);
  assert.equal(Object.values(heartbeats).flat().length, keepalives['204'], 'a heartbeat event for each keepalive');
  assert.deepEqual(Object.values(errors).flat(), [], 'no error event');
  assert.deepEqual(Object.values(logouts).flat(), [], 'no logout event');
  assert.deepEqual(w.problems, []);
}

/**
 * The server drops the session (every session of its store) right after a
 * heartbeat; the user goes on working. The next keepalive, the only one the
 * server gets after the drop, is answered with the app's "go and sign in"
 * (a redirect), and every tab ends the session as `revoked` (not remote in
 * the leader that saw it, remote in the others), with no heartbeat event
 * after the drop. Then the user works one more heartbeat period: no further
 * keepalive.
 */
export async function endsWhenServerDropsSession(t, app, { sessionMs, file, label, expectStatus = '302' }) {
  const w = await AppWorld.start(app);
  t.after(() => w.close());
  const tabs = await w.signedInTabs(3);
  const leader = await w.leader();
  const worker = tabs.find((x) => x !== leader);
  // Right after a heartbeat, so that none is in flight when the server drops the session.
  const first = await w.activeUntil(worker, WAIT_MS, () => leader.events('heartbeat'), (hb) => hb.length >= 1);
  assert.ok(first.length >= 1, 'a first heartbeat');
  await w.settle();
  const heartbeatsAtDrop = Object.fromEntries(Object.entries(await eventsByTab(tabs, 'heartbeat')).map(([k, v]) => [k, v.length]));
  const before = await app.state();
  await app.dropSessions();
  const states = await w.activeUntil(worker, WAIT_MS, () => allStates(tabs), signedOut);
  // One more heartbeat period of work: nothing more goes to the keepalive.
  await w.activeUntil(worker, sessionMs);
  await w.settle();
  const after = await app.state();
  const keepalives = newRequests(before, after, app.routes.keepalive);
  const logoutPosts = newRequests(before, after, app.routes.logout);
  const heartbeatsAfter = Object.fromEntries(Object.entries(await eventsByTab(tabs, 'heartbeat')).map(([k, v]) => [k, v.length - heartbeatsAtDrop[k]]));
  const logouts = await eventsByTab(tabs, 'logout');
  const errors = await eventsByTab(tabs, 'error');
  record(t, file, label, {
    sessionMs,
    keepalivesAfterDrop: keepalives,
    heartbeatEventsAfterDrop: heartbeatsAfter,
    logoutEvents: Object.fromEntries(Object.entries(logouts).map(([k, v]) => [k, v.map((e) => e.detail)])),
    errors: Object.values(errors).flat().map((e) => e.detail),
    logoutPostsOnServer: logoutPosts,
    signedOut: states.map((s) => !s.authenticated),
    problems: w.problems,
  });
  assert.ok(signedOut(states), `every tab ended the session: ${JSON.stringify(states.map((s) => s.authenticated))}`);
  assert.deepEqual(keepalives, { [expectStatus]: 1 }, 'one keepalive after the drop, answered by the app');
  assert.deepEqual(Object.values(heartbeatsAfter), tabs.map(() => 0), 'no heartbeat event after the drop');
  for (const tab of tabs) {
    const got = logouts[tab.name].map((e) => e.detail);
    assert.deepEqual(got, [{ reason: 'revoked', remote: tab !== leader }], `${tab.name}: one logout, revoked, remote ${tab !== leader}`);
  }
  assert.ok(total(logoutPosts) <= 1, `at most one logout request: ${JSON.stringify(logoutPosts)}`);
  assert.deepEqual(w.problems, []);
}

/** logout() in a tab that does not lead: one logout request reaches the server (past its CSRF check), every tab is signed out. */
export async function logoutOnce(t, app, { file, label }) {
  const w = await AppWorld.start(app);
  t.after(() => w.close());
  const tabs = await w.signedInTabs(3);
  const leader = await w.leader();
  const clicker = tabs.find((x) => x !== leader);
  const before = await app.state();
  await clicker.eval(() => window.keeper.logout());
  const states = await w.until(() => allStates(tabs), signedOut);
  await quiet(w);
  const after = await app.state();
  const logoutPosts = newRequests(before, after, app.routes.logout);
  const logouts = await eventsByTab(tabs, 'logout');
  record(t, file, label, {
    logoutPostsOnServer: logoutPosts,
    logoutEvents: Object.fromEntries(Object.entries(logouts).map(([k, v]) => [k, v.map((e) => e.detail)])),
    signedInOnServer: after.signedIn,
    problems: w.problems,
  });
  assert.ok(signedOut(states), 'every tab is signed out');
  assert.deepEqual(logoutPosts, { 302: 1 }, 'one logout request, past the CSRF check (the app redirects to its sign-in page)');
  assert.equal(after.signedIn, 0, 'the server signed the user out');
  for (const tab of tabs) {
    assert.deepEqual(logouts[tab.name].map((e) => e.detail), [{ reason: 'user', remote: tab !== clicker }], `${tab.name}: one logout, user, remote ${tab !== clicker}`);
  }
  assert.deepEqual(w.problems, []);
}

/**
 * `n` tabs, one last move of the pointer, then nobody moves: the idle
 * timeout, the same deadline in every tab, signs every tab out, and the
 * server gets one logout request (past its CSRF check), not one per tab.
 */
export async function idleLogoutOnce(t, app, { n, sessionMs, file, label }) {
  const w = await AppWorld.start(app);
  t.after(() => w.close());
  const idleTimeoutMs = Math.round(sessionMs * 0.75);
  const tabs = await w.signedInTabs(n, { idleTimeoutMs, warningMs: Math.round(idleTimeoutMs / 3) });
  // The user's last move: every tab hears of it and counts the idle timeout from it.
  await tabs[0].activity();
  const before = await app.state();
  const states = await w.until(() => allStates(tabs), signedOut, idleTimeoutMs + WAIT_MS);
  await quiet(w);
  const after = await app.state();
  const logoutPosts = newRequests(before, after, app.routes.logout);
  const logouts = await eventsByTab(tabs, 'logout');
  record(t, file, label, {
    tabs: n,
    idleTimeoutMs,
    logoutPostsOnServer: logoutPosts,
    logoutEvents: Object.fromEntries(Object.entries(logouts).map(([k, v]) => [k, v.map((e) => e.detail)])),
    signedInOnServer: after.signedIn,
    problems: w.problems,
  });
  assert.ok(signedOut(states), 'every tab is signed out');
  for (const tab of tabs) assert.deepEqual(logouts[tab.name].map((e) => e.detail.reason), ['idle'], `${tab.name}: one logout, idle`);
  assert.deepEqual(logoutPosts, { 302: 1 }, `one logout request for ${n} tabs`);
  assert.equal(after.signedIn, 0, 'the server signed the user out');
  assert.deepEqual(w.problems, []);
}
