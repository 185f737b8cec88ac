// The scenarios proper to oidc-client-ts as the keeper's token source, against
// a real OpenID Provider (tests/e2e/oidc/provider.mjs: oidc-provider, a public
// client with PKCE, rotating refresh tokens with reuse detection, revocation,
// 20 s access tokens); the app (tests/e2e/oidc/apps/oidc-client-ts/) signs in
// with oidc-client-ts through the provider's own pages and runs the npm
// README's recipe. The scenarios every recipe passes (three tabs with one
// opened before the sign-in, logout, a refresh refused) are in
// oidc-client-ts.test.mjs and its siblings for the other libraries. The
// counters are the provider's own events and the resource server's
// introspection answers. Time is real (the provider's tokens expire on its
// clock): each scenario runs a few token lifetimes.
// O2 is oidc-client-ts renewing on its own in three active tabs: its counts
// beside those of scenario 1 of oidc-client-ts.test.mjs (the keeper with the
// recipe) are the npm README's reason to use the package
// (out/counts/oidc.test.json, out/counts/oidc-client-ts.test.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OidcWorld, until } from './lib/oidc.mjs';
import { record } from './lib/report.mjs';
import { LEAD_SECS, LIFETIMES, TTL_SECS, grantCounts, keeperOptions, sum } from './oidc/scenarios.mjs';

// Both the keeper and the baseline refresh LEAD_SECS before expiry, so one
// tab refreshes every TTL - LEAD seconds.
const TABS = 3;

/** A provider, the oidc-client-ts app and three signed-in tabs of it (`tabOptions` as OidcWorld.open's), closed after `t`. */
async function threeTabs(t, tabOptions) {
  const w = await OidcWorld.start({ lib: 'oidc-client-ts', accessTokenTtlSecs: TTL_SECS });
  t.after(() => w.close());
  return { w, tabs: await w.signedInTabs(TABS, tabOptions) };
}

/**
 * An active user for `ms` (or until `done()`): each second one tab, in turn,
 * gets input and calls the API. Returns the API statuses.
 */
async function activeUser(w, tabs, ms, done) {
  const statuses = [];
  await w.run(ms, {
    each: async (i) => {
      const tab = tabs[i % tabs.length];
      await tab.activity();
      statuses.push(await tab.callApi());
    },
    done,
  });
  return statuses;
}

/** The counts O2 reports, to set beside scenario 1 of oidc-client-ts.test.mjs. */
async function tabsCounts(w, tabs, statuses, startedAt) {
  const logs = await Promise.all(tabs.map((tab) => tab.log()));
  const firstInvalidGrant = w.counters().invalidGrantTimes[0];
  return {
    ...(await grantCounts(w, tabs, statuses, startedAt)),
    firstInvalidGrantAfterLifetimes: firstInvalidGrant ? Number(((firstInvalidGrant - startedAt) / (TTL_SECS * 1000)).toFixed(1)) : null,
    renewErrors: logs.flatMap((l) => l.renewErrors),
    signedInAtEnd: await Promise.all(tabs.map((tab) => tab.signedIn())),
    activeRefreshTokensAtProvider: await w.op.activeRefreshTokens(),
  };
}

test('O2. baseline: three active tabs with oidc-client-ts renewing on its own (automaticSilentRenew, no keeper): its refresh grants, duplicates and invalid_grant, counted', async (t) => {
  const { w, tabs } = await threeTabs(t, { mode: 'baseline', renewLeadSecs: LEAD_SECS });
  const startedAt = Date.now();
  const statuses = await activeUser(w, tabs, LIFETIMES * TTL_SECS * 1000);
  // No renewal starts any more; those in flight land before counting.
  await Promise.all(tabs.map((tab) => tab.eval(() => window.app.userManager.stopSilentRenew())));
  await until(
    async () => sum(await Promise.all(tabs.map((tab) => tab.refreshGrantsSent()))),
    (sent) => sent === w.counters().refreshGrants + w.counters().invalidGrant,
  );
  const counts = await tabsCounts(w, tabs, statuses, startedAt);
  record(t, import.meta.url, 'scenario O2 (baseline: oidc-client-ts alone)', counts);

  // The counts must agree with each other; their values are the finding.
  const resource = w.counters();
  assert.ok(counts.refreshGrants + counts.invalidGrant >= 1, 'oidc-client-ts renewed on its own');
  assert.equal(sum(counts.refreshGrantsSentPerTab), counts.refreshGrants + counts.invalidGrant, 'every refresh the tabs sent was granted or refused as invalid_grant');
  assert.equal(counts.renewErrors.filter((e) => e === 'invalid_grant').length, counts.invalidGrant, 'each invalid_grant reached a tab as a silent renew error');
  assert.equal(resource.apiOk, counts.api200);
  assert.equal(resource.apiUnauthorized, counts.api401);
  assert.deepEqual(w.problems, []);
});

test('O3. idle: refreshes while the user is active, none after the idle deadline; every tab logs out idle, and the logout callback revoked the refresh token at the provider', async (t) => {
  const IDLE_MS = 15_000;
  const { w, tabs } = await threeTabs(t, { keeperOptions: keeperOptions({ idleTimeoutMs: IDLE_MS }) });
  // Active until the first refresh, then no input at all.
  await w.run(2 * TTL_SECS * 1000, { each: (i) => tabs[i % tabs.length].activity(), done: () => w.counters().refreshGrants >= 1 });
  const activeBefore = await w.op.activeRefreshTokens();
  const logouts = await until(
    () => Promise.all(tabs.map((tab) => tab.events('logout'))),
    (all) => all.every((l) => l.length > 0),
    IDLE_MS + 2 * TTL_SECS * 1000,
  );
  const atLogout = w.counters();
  // A whole token lifetime after the deadline: a keeper still refreshing would show.
  await w.run(TTL_SECS * 1000 + 2_000);
  const after = w.counters();
  const users = await Promise.all(tabs.map((tab) => tab.eval(async () => Boolean(await window.app.userManager.getUser()))));
  const counts = {
    refreshGrantsWhileActive: atLogout.refreshGrants,
    refreshGrantsAfterIdle: after.refreshGrants - atLogout.refreshGrants,
    logoutReasons: logouts.map((l) => l.map((e) => e.detail.reason)),
    refreshTokensRevokedByLogout: after.refreshTokensRevoked,
    grantsRevoked: after.grantsRevoked,
    activeRefreshTokensBefore: activeBefore,
    activeRefreshTokensAfter: await w.op.activeRefreshTokens(),
    userStoredPerTab: users,
  };
  record(t, import.meta.url, 'scenario O3 (idle)', counts);

  assert.ok(counts.refreshGrantsWhileActive >= 1, 'the keeper refreshed while the user was active');
  assert.equal(counts.refreshGrantsAfterIdle, 0, 'no refresh grant after the idle deadline');
  assert.deepEqual(counts.logoutReasons, tabs.map(() => ['idle']), 'every tab logged out once, idle');
  assert.ok(counts.refreshTokensRevokedByLogout >= 1, 'the logout callback revoked the refresh token at the revocation endpoint');
  assert.ok(counts.grantsRevoked >= 1, 'and the provider revoked the grant with it');
  assert.equal(counts.activeRefreshTokensBefore, 1);
  assert.equal(counts.activeRefreshTokensAfter, 0, 'the provider accepts no refresh token of the session any more');
  assert.deepEqual(users, [false, false, false], 'oidc-client-ts’s shared user is removed');
  assert.deepEqual(w.problems, []);
});

test('O5. a hold keeps refreshing without input past the idle deadline, in every tab', async (t) => {
  const IDLE_MS = 15_000;
  const { w, tabs } = await threeTabs(t, { keeperOptions: keeperOptions({ idleTimeoutMs: IDLE_MS }) });
  await tabs[0].eval(() => {
    window.hold = window.app.keeper.holdActive('video');
  });
  const idleDeadline = Date.now() + IDLE_MS;
  // No input: only API calls, which are no activity.
  const statuses = [];
  await w.run(2 * TTL_SECS * 1000, { stepMs: 2_000, each: async (i) => statuses.push(await tabs[i % tabs.length].callApi()) });
  const c = w.counters();
  const counts = {
    refreshGrants: c.refreshGrants,
    refreshGrantsAfterIdleDeadline: c.refreshGrantTimes.filter((at) => at > idleDeadline).length,
    invalidGrant: c.invalidGrant,
    holdsPerTab: await Promise.all(tabs.map((tab) => tab.eval(() => window.app.keeper.state.holds))),
    logoutsPerTab: await Promise.all(tabs.map(async (tab) => (await tab.events('logout')).length)),
    apiCalls: statuses.length,
    api200: statuses.filter((s) => s === 200).length,
  };
  record(t, import.meta.url, 'scenario O5 (hold)', counts);

  assert.ok(counts.refreshGrantsAfterIdleDeadline >= 2, `refreshes went on past the idle deadline (${counts.refreshGrantsAfterIdleDeadline})`);
  assert.equal(counts.invalidGrant, 0);
  assert.deepEqual(counts.holdsPerTab, [1, 1, 1], 'every tab knows of the hold');
  assert.deepEqual(counts.logoutsPerTab, [0, 0, 0], 'no tab logged out');
  assert.equal(counts.api200, counts.apiCalls, 'every API call 200');
  assert.deepEqual(w.problems, []);
});

test('O6. the only tab, reloaded, restores the session through the refresh callback: one refresh grant, then API calls 200', async (t) => {
  const w = await OidcWorld.start({ lib: 'oidc-client-ts', accessTokenTtlSecs: TTL_SECS });
  t.after(() => w.close());
  const [tab] = await w.signedInTabs(1, { keeperOptions: keeperOptions() });
  await tab.load();
  const signedIn = await until(() => tab.signedIn(), Boolean);
  const counts = {
    signedInAfterReload: signedIn,
    refreshGrants: w.counters().refreshGrants,
    refreshGrantsSentByTheTab: await tab.refreshGrantsSent(),
    loginEvents: (await tab.events('login')).length,
    apiStatus: await tab.callApi(),
  };
  record(t, import.meta.url, 'scenario O6 (reload)', counts);

  assert.equal(counts.signedInAfterReload, true);
  assert.equal(counts.refreshGrants, 1, 'no sibling to ask: one refresh through the callback');
  assert.equal(counts.refreshGrantsSentByTheTab, 1);
  assert.equal(counts.loginEvents, 1, 'the restored session is a login event');
  assert.equal(counts.apiStatus, 200);
  assert.deepEqual(w.problems, []);
});
