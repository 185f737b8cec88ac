// Scenarios O1-O6 (issue 19): the keeper with an OpenID Connect client
// library as its token source, against a real OpenID Provider. The provider
// is oidc-provider (tests/e2e/oidc/provider.mjs: a public client with PKCE,
// rotating refresh tokens with reuse detection, revocation, 20 s access
// tokens); the app (tests/e2e/oidc/app/) signs in with oidc-client-ts through
// the provider's own pages and runs the npm README's recipe
// (app/oidc-session.js). The counters are the provider's own events and the
// resource server's introspection answers. Time is real (the provider's
// tokens expire on its clock): each scenario runs a few token lifetimes.
// O1 and O2 are the same three active tabs, with the keeper and with
// oidc-client-ts renewing on its own: their counts side by side are the npm
// README's reason to use the package (out/counts/oidc.test.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OidcWorld, until } from './lib/oidc.mjs';
import { record } from './lib/report.mjs';
import { e2eDir, root } from './lib/paths.mjs';

const TTL_SECS = 20;
// Both the keeper and the baseline refresh this long before expiry, so one
// tab refreshes every TTL - LEAD seconds.
const LEAD_SECS = 10;
const REFRESH_INTERVAL_MS = (TTL_SECS - LEAD_SECS) * 1000;
const LIFETIMES = 3;
const TABS = 3;
const keeperOptions = (extra = {}) => ({ refreshLeadMs: LEAD_SECS * 1000, idleTimeoutMs: 120_000, ...extra });

/** A provider, an app and three signed-in tabs of it (`tabOptions` as OidcWorld.open's), closed after `t`. */
async function threeTabs(t, tabOptions) {
  const w = await OidcWorld.start({ accessTokenTtlSecs: TTL_SECS });
  t.after(() => w.close());
  return { w, tabs: await w.signedInTabs(TABS, tabOptions) };
}

/**
 * Refresh grants that came less than half a refresh interval after the
 * previous one, on the provider's clock: a second refresh of a token that
 * had just been refreshed. One tab's refreshes are a whole interval apart.
 */
function duplicateRefreshes(times) {
  return times.slice(1).filter((t, i) => t - times[i] < REFRESH_INTERVAL_MS / 2).length;
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

/** The counts scenarios 1 and 2 report side by side. */
async function tabsCounts(w, tabs, statuses, startedAt) {
  const c = w.counters();
  const lifetimes = (Date.now() - startedAt) / (TTL_SECS * 1000);
  const logs = await Promise.all(tabs.map((tab) => tab.log()));
  const firstInvalidGrant = c.invalidGrantTimes[0];
  return {
    tokenLifetimes: Number(lifetimes.toFixed(1)),
    firstInvalidGrantAfterLifetimes: firstInvalidGrant ? Number(((firstInvalidGrant - startedAt) / (TTL_SECS * 1000)).toFixed(1)) : null,
    refreshGrants: c.refreshGrants,
    refreshGrantsPerLifetime: Number((c.refreshGrants / lifetimes).toFixed(2)),
    duplicateRefreshes: duplicateRefreshes(c.refreshGrantTimes),
    invalidGrant: c.invalidGrant,
    maxConcurrentTokenRequests: c.maxConcurrentTokenRequests,
    refreshGrantsSentPerTab: await Promise.all(tabs.map((tab) => tab.refreshGrantsSent())),
    apiCalls: statuses.length,
    api200: statuses.filter((s) => s === 200).length,
    api401: statuses.filter((s) => s === 401).length,
    apiWithoutToken: statuses.filter((s) => s === 0).length,
    renewErrors: logs.flatMap((l) => l.renewErrors),
    signedInAtEnd: await Promise.all(tabs.map((tab) => tab.signedIn())),
    activeRefreshTokensAtProvider: await w.op.activeRefreshTokens(),
  };
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0);

test('O0. the npm README’s oidc-client-ts recipe is the code the e2e app runs', () => {
  const recipe = readFileSync(join(e2eDir, 'oidc/app/oidc-session.js'), 'utf8');
  const readme = readFileSync(join(root, 'pkg-template/README.md'), 'utf8');
  assert.ok(readme.includes('```js\n' + recipe + '```\n'), 'pkg-template/README.md has tests/e2e/oidc/app/oidc-session.js verbatim as a js block');
});

test('O1. three tabs, an active user, three token lifetimes: refresh grants at one tab’s rate, 0 invalid_grant, every API call 200 with a token the provider issued', async (t) => {
  const { w, tabs } = await threeTabs(t, { keeperOptions: keeperOptions() });
  const startedAt = Date.now();
  // Until the grant that ends the third lifetime (two a lifetime at one
  // tab's rate); the next one is a whole interval away, time enough to count
  // while nothing changes.
  const target = 2 * LIFETIMES;
  const statuses = await activeUser(w, tabs, 2 * LIFETIMES * TTL_SECS * 1000, () => w.counters().refreshGrants >= target);
  // Every tab has taken in the last token before counting.
  await until(
    () => Promise.all(tabs.map(async (tab) => (await tab.events('refresh')).length)),
    (counts) => counts.every((n) => n === w.counters().refreshGrants),
  );
  const counts = await tabsCounts(w, tabs, statuses, startedAt);
  counts.refreshEventsPerTab = await Promise.all(tabs.map(async (tab) => (await tab.events('refresh')).length));
  counts.logoutsPerTab = await Promise.all(tabs.map(async (tab) => (await tab.events('logout')).length));
  record(t, import.meta.url, 'scenario O1 (keeper)', counts);

  assert.equal(counts.refreshGrants, target, `${target} refresh grants within ${2 * LIFETIMES} lifetimes`);
  assert.equal(counts.duplicateRefreshes, 0, 'no refresh grant within half an interval of the previous one: one tab’s rate');
  assert.equal(counts.maxConcurrentTokenRequests, 1, 'never two token requests at once');
  assert.equal(sum(counts.refreshGrantsSentPerTab), counts.refreshGrants, 'every refresh the tabs sent was granted');
  assert.equal(counts.invalidGrant, 0, '0 invalid_grant');
  assert.deepEqual(counts.refreshEventsPerTab, tabs.map(() => counts.refreshGrants), 'every tab got every new token');
  assert.equal(counts.activeRefreshTokensAtProvider, 1, 'rotation: only the newest refresh token is still valid');
  assert.equal(counts.api200, counts.apiCalls, 'every API call 200');
  const resource = w.counters();
  assert.equal(resource.apiOk, counts.apiCalls, 'the resource server found every token active at the provider');
  assert.equal(resource.apiUnauthorized, 0);
  assert.deepEqual(counts.signedInAtEnd, [true, true, true]);
  assert.deepEqual(counts.logoutsPerTab, [0, 0, 0]);
  assert.deepEqual(w.problems, []);
});

test('O2. baseline: the same three tabs with oidc-client-ts renewing on its own (automaticSilentRenew, no keeper): its refresh grants, duplicates and invalid_grant, counted', async (t) => {
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

test('O4. revoked at the provider: the next refresh ends the session revoked in every tab, after one invalid_grant', async (t) => {
  const { w, tabs } = await threeTabs(t, { keeperOptions: keeperOptions() });
  const input = { each: async (i) => tabs[i % tabs.length].activity() };
  // Into the session: one refresh, then an administrator revokes the grant.
  await w.run(2 * TTL_SECS * 1000, { ...input, done: () => w.counters().refreshGrants >= 1 });
  const grantsBefore = w.counters().refreshGrants;
  const revokedGrants = await w.op.revokeAllGrants();
  let logouts = [];
  await w.run(2 * TTL_SECS * 1000, {
    ...input,
    done: async () => {
      logouts = await Promise.all(tabs.map((tab) => tab.events('logout')));
      return logouts.every((l) => l.length > 0);
    },
  });
  // A moment for any other tab's refresh to show at the provider.
  await w.run(2_000);
  const c = w.counters();
  const counts = {
    refreshGrantsBeforeRevocation: grantsBefore,
    grantsRevokedOutOfBand: revokedGrants,
    refreshGrantsAfterRevocation: c.refreshGrants - grantsBefore,
    invalidGrant: c.invalidGrant,
    logoutReasons: logouts.map((l) => l.map((e) => e.detail.reason)),
    remote: logouts.map((l) => l.map((e) => e.detail.remote)),
    signedInAtEnd: await Promise.all(tabs.map((tab) => tab.signedIn())),
  };
  record(t, import.meta.url, 'scenario O4 (revoked)', counts);

  assert.equal(counts.grantsRevokedOutOfBand, 1, 'one grant, the session’s, revoked');
  assert.equal(counts.refreshGrantsAfterRevocation, 0);
  assert.equal(counts.invalidGrant, 1, 'one tab tried the revoked refresh token, once');
  assert.deepEqual(counts.logoutReasons, tabs.map(() => ['revoked']), 'every tab logged out once, revoked');
  assert.equal(counts.remote.flat().filter((r) => !r).length, 1, 'decided in one tab, told to the others');
  assert.deepEqual(counts.signedInAtEnd, [false, false, false]);
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
  const w = await OidcWorld.start({ accessTokenTtlSecs: TTL_SECS });
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
