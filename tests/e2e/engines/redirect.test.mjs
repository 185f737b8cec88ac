// A redirect is the end of the session, in every engine. Server frameworks
// answer a request without a session with a 302 to their sign-in page
// (Django's @login_required, connect-ensure-login, Devise, Spring Security's
// form login): the keeper sends its own requests with `redirect: 'manual'`,
// so the browser does not follow (fetch gives an opaque redirect) and the
// session ends in every tab as `revoked`, whether the sign-in page is on the
// app's origin or on another one (no CORS there). login() against a redirect
// rejects and says so. The server is a tiny one of the suite's own
// (servers/lib/redirect-server.mjs); time is the engine harness's simulated clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineWorld, enginesToRun, eachEngine, signedInTabs } from '../lib/engine-harness.mjs';
import { record } from '../lib/report.mjs';
import { RedirectServer } from '../servers/lib/redirect-server.mjs';

const SESSION_MS = 60_000;
const STEP_MS = 10_000;

/** EngineWorld.startIn's world, on the redirecting server instead of the reference one. */
const startWorld = (engine) => EngineWorld.startIn(engine, { start: (o) => RedirectServer.start(o) });

function options(keepaliveUrl, extra = {}) {
  return { loginUrl: '/api/login', keepaliveUrl, logoutUrl: '/api/logout', sessionTimeoutMs: SESSION_MS, requestTimeoutMs: 30_000, ...extra };
}

/** `after`'s counts above `before`'s, for the keys that grew. */
function grown(before, after) {
  const out = {};
  for (const [k, n] of Object.entries(after)) if (n > (before[k] ?? 0)) out[k] = n - (before[k] ?? 0);
  return out;
}

const heartbeatCounts = async (tabs) => Promise.all(tabs.map(async (t) => (await t.events('heartbeat')).length));

/**
 * Two signed-in tabs, an active user in the one that does not lead; a
 * heartbeat goes through (204); the server drops the session; the next
 * keepalive is answered 302 to `keepaliveUrl`'s sign-in page. Every tab
 * ends the session as revoked, no heartbeat event after, one keepalive after
 * the drop, and no request to the sign-in page (the browser did not follow).
 */
async function redirectEndsSession(t, engine, { keepaliveUrl, label }) {
  const w = await startWorld(engine);
  t.after(() => w.close());
  const tabs = await signedInTabs(w, 2, options(keepaliveUrl), 'cookie');
  const states0 = await Promise.all(tabs.map((x) => x.state()));
  const leader = tabs[states0.findIndex((s) => s.leader)];
  const worker = tabs.find((x) => x !== leader) ?? tabs[0];
  assert.ok(leader, `one tab leads: ${JSON.stringify(states0.map((s) => s.leader))}`);
  // A first heartbeat, answered 204 (the session is live).
  for (let i = 0; i < 30 && (await leader.events('heartbeat')).length === 0; i++) await w.advance(STEP_MS, { step: STEP_MS, each: () => worker.activity() });
  assert.equal((await leader.events('heartbeat')).length, 1, 'a first heartbeat');
  const heartbeatsAtDrop = await heartbeatCounts(tabs);
  const before = await w.server.state();
  await w.server.dropSessions();
  let states = [];
  for (let i = 0; i < 30; i++) {
    await w.advance(STEP_MS, { step: STEP_MS, each: () => worker.activity() });
    states = await Promise.all(tabs.map((x) => x.state()));
    if (states.every((s) => !s.authenticated)) break;
  }
  // One more heartbeat period of activity: nothing more is sent.
  await w.advance(SESSION_MS, { step: STEP_MS, each: () => worker.activity() });
  await w.settle();
  const after = await w.server.state();
  const sent = grown(before.requests, after.requests);
  const signInPages = grown(before.signInRequests, after.signInRequests);
  const heartbeatsAfter = (await heartbeatCounts(tabs)).map((n, i) => n - heartbeatsAtDrop[i]);
  const logouts = [];
  for (const tab of tabs) logouts.push((await tab.events('logout')).map((e) => e.detail));
  const errors = (await Promise.all(tabs.map((x) => x.events('error')))).flat().map((e) => e.detail);
  const problems = await w.problems();
  record(t, import.meta.url, `${engine}: ${label}`, { browser: w.browser.version, requestsAfterDrop: sent, signInOriginRequests: signInPages, heartbeatEventsAfterDrop: heartbeatsAfter, logoutEvents: logouts, errors, problems });
  assert.ok(states.every((s) => !s.authenticated), `every tab ended the session: ${JSON.stringify(states.map((s) => s.authenticated))}`);
  assert.equal(sent[`POST ${keepaliveUrl} 302`], 1, `one keepalive after the drop, answered 302: ${JSON.stringify(sent)}`);
  assert.equal(sent[`POST ${keepaliveUrl} 204`] ?? 0, 0, 'no keepalive answered 204 after the drop');
  assert.equal(sent['GET /login 200'] ?? 0, 0, 'the browser did not follow the redirect to the sign-in page');
  assert.deepEqual(signInPages, {}, 'nothing reached the sign-in origin');
  assert.deepEqual(heartbeatsAfter, [0, 0], 'no heartbeat event after the drop');
  tabs.forEach((tab, i) => assert.deepEqual(logouts[i], [{ reason: 'revoked', remote: tab !== leader }], `${tab.name}: one logout, revoked, remote ${tab !== leader}`));
  assert.ok((sent['POST /api/logout 302'] ?? 0) <= 1, 'at most one logout request');
  assert.deepEqual(problems, []);
  return w;
}

eachEngine(test, enginesToRun(), 'redirect: a keepalive answered 302 to a sign-in page on the same origin ends the session in every tab (revoked); login() against a redirect rejects and says so', async (t, engine) => {
  const w = await redirectEndsSession(t, engine, { keepaliveUrl: '/api/keepalive', label: 'same-origin sign-in page' });
  // A keeper whose loginUrl answers 302 (a form login that sends the JSON post back to its form).
  const probe = await w.open({ loginUrl: '/api/login-redirect', channelName: 'ksa-redirect-probe' }, { name: 'probe' });
  await probe.ready();
  const before = await w.server.state();
  const outcome = await probe.eval(async () => {
    try {
      await window.keeper.login({ username: 'alice' });
      return { resolved: true };
    } catch (e) {
      return { rejected: true, isError: e instanceof Error, message: String(e?.message ?? e) };
    }
  });
  await w.settle();
  const sent = grown(before.requests, (await w.server.state()).requests);
  const state = await probe.state();
  record(t, import.meta.url, `${engine}: login() against a redirect`, { outcome, requests: sent, authenticated: state.authenticated });
  assert.equal(outcome.rejected, true, `login() rejects: ${JSON.stringify(outcome)}`);
  assert.equal(outcome.isError, true, 'with an Error');
  assert.match(outcome.message, /redirect/i, 'whose message says the server redirected');
  assert.equal(state.authenticated, false, 'no session');
  assert.deepEqual(sent, { 'POST /api/login-redirect 302': 1 }, 'one login request, not followed');
});

eachEngine(test, enginesToRun(), 'redirect: a keepalive answered 302 to a sign-in page on another origin (no CORS) ends the session in every tab (revoked)', async (t, engine) => {
  await redirectEndsSession(t, engine, { keepaliveUrl: '/api/keepalive-sso', label: 'sign-in page on another origin' });
});
