// The scenarios every token-source recipe of the npm README must pass
// ("Bring your own token source"), each a `node --test` test, run for one
// library by its file (tests/e2e/oidc-<lib>.test.mjs) against the suite's
// OpenID Provider dressed for that library (apps/<lib>/dress.mjs):
//
//   0. the README holds the app's recipe (apps/<lib>/session.js) verbatim;
//   1. three tabs, three token lifetimes, an active user (input and an API
//      call every second). One tab is opened BEFORE the sign-in, one signs
//      in, one opens after; midway the tab that refreshes leaves the app over
//      the next refresh and comes back (a reload spanning a refresh), so that
//      another tab has to refresh: the leader, which is the tab opened before
//      the sign-in. Every API call 200 at the resource server (which asks the
//      provider), refresh grants at one tab's rate, 0 invalid_grant, 0 reuse
//      of a rotated refresh token, every tab signed in at the end, and the
//      tabs' `state.refresher` consistent;
//   2. the user logs out in one tab (the one opened before the sign-in):
//      every tab logs out (reason 'user'), and no refresh token of the
//      session is still valid at the provider (where the provider has a
//      revocation endpoint; where it has none, how many stay valid);
//   3. an administrator revokes the session at the provider: the next
//      refresh is refused once (invalid_grant) and every tab logs out,
//      reason 'revoked'.
//
// Real time: 20 s access tokens refreshed 10 s before expiry, so one tab's
// rate is a refresh grant every 10 s, 2 a lifetime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OidcWorld, until } from '../lib/oidc.mjs';
import { record } from '../lib/report.mjs';
import { e2eDir, root } from '../lib/paths.mjs';

export const TTL_SECS = 20;
export const LEAD_SECS = 10;
export const REFRESH_INTERVAL_MS = (TTL_SECS - LEAD_SECS) * 1000;
export const LIFETIMES = 3;
export const keeperOptions = (extra = {}) => ({ refreshLeadMs: LEAD_SECS * 1000, idleTimeoutMs: 120_000, ...extra });

export const sum = (xs) => xs.reduce((a, b) => a + b, 0);

/**
 * Refresh grants that came less than half a refresh interval after the
 * previous one, on the provider's clock: a second refresh of a token that
 * had just been refreshed. One tab's refreshes are a whole interval apart.
 */
export function duplicateRefreshes(times) {
  return times.slice(1).filter((t, i) => t - times[i] < REFRESH_INTERVAL_MS / 2).length;
}

/**
 * What three active tabs cost at the provider and got from the API since
 * `startedAt` (`statuses`: the API calls' statuses, 0 without a token): the
 * counts scenario 1 and the baseline without the keeper (oidc.test.mjs O2)
 * both report.
 */
export async function grantCounts(w, tabs, statuses, startedAt) {
  const c = w.counters();
  const lifetimes = (Date.now() - startedAt) / (TTL_SECS * 1000);
  return {
    tokenLifetimes: Number(lifetimes.toFixed(1)),
    refreshGrants: c.refreshGrants,
    refreshGrantsPerLifetime: Number((c.refreshGrants / lifetimes).toFixed(2)),
    duplicateRefreshes: duplicateRefreshes(c.refreshGrantTimes),
    invalidGrant: c.invalidGrant,
    // Refresh tokens presented again after a refresh had rotated them.
    reuse: c.reuse,
    maxConcurrentTokenRequests: c.maxConcurrentTokenRequests,
    refreshGrantsSentPerTab: await Promise.all(tabs.map((tab) => tab.refreshGrantsSent())),
    apiCalls: statuses.length,
    api200: statuses.filter((s) => s === 200).length,
    api401: statuses.filter((s) => s === 401).length,
    apiWithoutToken: statuses.filter((s) => s === 0).length,
  };
}

/**
 * Is this set of `state.refresher` values (with each tab's `state.leader`)
 * one the contract allows? Exactly one tab refreshes next: one 'this' and
 * the others 'other' (or 'unable'), or nobody known, every tab 'leader' (or
 * 'unable') and one of them the leader.
 */
export function refreshersConsistent(states) {
  const r = states.map((s) => s.refresher);
  const these = r.filter((x) => x === 'this').length;
  if (these === 1) return r.every((x) => ['this', 'other', 'unable'].includes(x));
  return these === 0 && r.every((x) => ['leader', 'unable'].includes(x)) && states.filter((s) => s.leader).length === 1;
}

/**
 * A provider dressed for `lib`, its app, and three tabs of one user: `before`
 * opened before the sign-in, `signer` signs in, `after` opened after it.
 */
async function tabsAroundSignIn(t, lib) {
  const w = await OidcWorld.start({ lib, accessTokenTtlSecs: TTL_SECS });
  t.after(() => w.close());
  const options = { keeperOptions: keeperOptions() };
  const before = await w.open(options);
  const signer = await w.open(options);
  await w.signIn(signer);
  const after = await w.open(options);
  const tabs = [before, signer, after];
  const all = await until(
    () => Promise.all(tabs.map((tab) => tab.signedIn())),
    (states) => states.every(Boolean),
  );
  if (!all.every(Boolean)) throw new Error(`tabs signed in: ${all}`);
  return { w, tabs, before, signer, after };
}

/** Input and an API call in one tab a second, in turn, skipping tabs that are away; stops once `done()`. */
async function activeUser(w, tabs, ms, { statuses = [], away = new Set(), done } = {}) {
  await w.run(ms, {
    each: async (i) => {
      const tab = tabs[i % tabs.length];
      if (away.has(tab)) return;
      await tab.activity();
      statuses.push(await tab.callApi());
    },
    done,
  });
  return statuses;
}

/** What each tab's library holds of its own, where its app says (keycloak-js: tokens per tab). */
const ownTokens = (tabs) => Promise.all(tabs.map((tab) => tab.eval(() => window.app.hasOwnTokens?.() ?? null)));

/**
 * Registers the scenarios of `lib` (a directory of tests/e2e/oidc/apps) in
 * the calling test file (`file`: its import.meta.url, for the counts).
 * Expected: beforeSignIn, what the tab opened before the sign-in does when the
 * keeper asks it to refresh: 'refreshes' (the library shares its tokens
 * across tabs) or 'elsewhere' (it holds none: the keeper asks another tab).
 * afterLogoutReload, what the provider answers a tab loaded after the
 * logout instead of a code (none: the library does not ask it at load).
 */
export function tokenSourceScenarios(lib, file, { beforeSignIn = 'refreshes', afterLogoutReload = [], label = lib } = {}) {
  test(`${label} 0. the npm README’s recipe is the code the e2e app runs (apps/${lib}/session.js)`, () => {
    const recipe = readFileSync(join(e2eDir, 'oidc/apps', lib, 'session.js'), 'utf8');
    const readme = readFileSync(join(root, 'pkg-template/README.md'), 'utf8');
    assert.ok(readme.includes('```js\n' + recipe + '```\n'), `pkg-template/README.md has tests/e2e/oidc/apps/${lib}/session.js verbatim as a js block`);
  });

  test(`${label} 1. three tabs (one opened before the sign-in), three token lifetimes, an active user, the refreshing tab reloaded over a refresh: every API call 200, refresh grants at one tab’s rate, 0 invalid_grant, 0 reuse, every tab signed in`, async (t) => {
    const { w, tabs, before } = await tabsAroundSignIn(t, lib);
    const startedAt = Date.now();
    const target = 2 * LIFETIMES;
    const statuses = [];
    const away = new Set();
    let reload = null;
    // Midway, after the second refresh: the tab that refreshes next leaves
    // until another tab has made the next refresh, then loads the app again.
    const reloadAcrossARefresh = async () => {
      const states = await Promise.all(tabs.map((tab) => tab.state()));
      const i = Math.max(states.findIndex((s) => s.refresher === 'this'), 0);
      const tab = tabs[i];
      const grants = w.counters().refreshGrants;
      const leaderBefore = tabs[states.findIndex((s) => s.leader)]?.name ?? null;
      away.add(tab);
      await tab.leave();
      const leftAt = Date.now();
      await until(() => w.counters().refreshGrants, (n) => n > grants, 2 * REFRESH_INTERVAL_MS);
      const refreshedWhileAway = w.counters().refreshGrants - grants;
      // The other tabs' view while it is away: who refreshed for it.
      const othersWhileAway = await Promise.all(tabs.filter((x) => x !== tab).map(async (x) => ({ tab: x.name, ...(await x.state()) })));
      await tab.load();
      away.delete(tab);
      return {
        tab: tab.name,
        refresherBefore: states[i].refresher ?? null,
        leaderBefore,
        awayMs: Date.now() - leftAt,
        refreshedWhileAway,
        othersWhileAway: othersWhileAway.map((s) => ({ tab: s.tab, refresher: s.refresher ?? null, leader: s.leader })),
        signedInAgain: await until(() => tab.signedIn(), Boolean),
      };
    };
    await activeUser(w, tabs, 2 * LIFETIMES * TTL_SECS * 1000, {
      statuses,
      away,
      done: () => {
        if (!reload && w.counters().refreshGrants >= 2) reload = reloadAcrossARefresh();
        return reload !== null && away.size === 0 && w.counters().refreshGrants >= target;
      },
    });
    const reloaded = await reload;
    // Every tab has taken in the last token before counting.
    const expiries = await until(
      () => Promise.all(tabs.map(async (tab) => (await tab.state()).tokenExpiresAt)),
      (xs) => xs.every((x) => x && x === xs[0]),
    );
    const c = w.counters();
    const states = await Promise.all(tabs.map((tab) => tab.state()));
    const counts = {
      ...(await grantCounts(w, tabs, statuses, startedAt)),
      codeGrants: c.codeGrants,
      resourceServerOk: c.apiOk,
      resourceServerUnauthorized: c.apiUnauthorized,
      reloaded,
      sameTokenExpiryInEveryTab: expiries.every((x) => x && x === expiries[0]),
      refresherPerTab: states.map((s) => s.refresher ?? null),
      leaderPerTab: states.map((s) => s.leader),
      ownTokensPerTab: await ownTokens(tabs),
      logoutsPerTab: await Promise.all(tabs.map(async (tab) => (await tab.events('logout')).length)),
      signedInAtEnd: await Promise.all(tabs.map((tab) => tab.signedIn())),
    };
    record(t, file, `${label} scenario 1 (three tabs, one opened before the sign-in)`, counts);

    assert.deepEqual(counts.signedInAtEnd, [true, true, true], 'every tab signed in at the end');
    assert.deepEqual(counts.logoutsPerTab, [0, 0, 0], 'no tab logged out');
    assert.equal(counts.invalidGrant, 0, '0 invalid_grant');
    assert.equal(counts.reuse, 0, 'no rotated refresh token presented again');
    assert.equal(counts.refreshGrants, target, `${target} refresh grants: one tab’s rate, 2 a lifetime`);
    assert.equal(counts.duplicateRefreshes, 0, 'no refresh grant within half an interval of the previous one');
    assert.equal(sum(counts.refreshGrantsSentPerTab), counts.refreshGrants, 'every refresh the tabs sent was granted');
    assert.ok(counts.reloaded.refreshedWhileAway >= 1, 'another tab refreshed while the refreshing tab was away');
    assert.equal(counts.reloaded.signedInAgain, true, 'the reloaded tab is signed in again');
    assert.equal(counts.api200, counts.apiCalls, 'every API call 200');
    assert.equal(counts.resourceServerOk, counts.apiCalls, 'the resource server found every token active at the provider');
    assert.equal(counts.resourceServerUnauthorized, 0);
    assert.ok(counts.sameTokenExpiryInEveryTab, 'every tab holds the newest token');
    assert.ok(refreshersConsistent(states), `state.refresher consistent: ${JSON.stringify(states.map((s) => [s.refresher, s.leader]))}`);
    if (beforeSignIn === 'elsewhere') {
      assert.equal(counts.ownTokensPerTab[0], false, 'the tab opened before the sign-in holds no tokens of its own');
      assert.equal(counts.refreshGrantsSentPerTab[0], 0, 'and sent no refresh grant');
      // With the refreshing tab away, the leader refreshes: if that was the
      // tab opened before the sign-in, it was asked and answered 'elsewhere'
      // (and another tab refreshed: the session lived). If it was not the
      // leader, it never had to refresh.
      const p = counts.reloaded.othersWhileAway.find((s) => s.tab === before.name);
      if (p?.leader) assert.equal(p.refresher, 'unable', 'asked to refresh while it led, it answered elsewhere');
      else assert.ok(['other', 'leader', 'unable'].includes(states[0].refresher), `its refresher: ${states[0].refresher}`);
    }
    assert.deepEqual(w.problems, []);
  });

  test(`${label} 2. logout in the tab opened before the sign-in: every tab logs out (user), and no refresh token of the session stays valid at the provider`, async (t) => {
    const { w, tabs, before } = await tabsAroundSignIn(t, lib);
    // Into the session: one refresh first, so that a rotated token exists.
    await activeUser(w, tabs, 2 * TTL_SECS * 1000, { done: () => w.counters().refreshGrants >= 1 });
    const activeBefore = await w.op.activeRefreshTokens();
    await before.eval(() => window.app.logout());
    const logouts = await until(
      () => Promise.all(tabs.map((tab) => tab.events('logout'))),
      (all) => all.every((l) => l.length > 0),
    );
    const revokes = w.dress.revocation !== false;
    // The revocations land.
    const activeAfter = revokes ? await until(() => w.op.activeRefreshTokens(), (n) => n === 0) : await w.op.activeRefreshTokens();
    await w.run(1_000);
    const c = w.counters();
    const counts = {
      refreshGrants: c.refreshGrants,
      logoutReasons: logouts.map((l) => l.map((e) => e.detail.reason)),
      remote: logouts.map((l) => l.map((e) => e.detail.remote)),
      refreshTokensRevoked: c.refreshTokensRevoked,
      grantsRevoked: c.grantsRevoked,
      activeRefreshTokensBefore: activeBefore,
      activeRefreshTokensAfter: activeAfter,
      ownTokensPerTab: await ownTokens(tabs),
      signedInAtEnd: await Promise.all(tabs.map((tab) => tab.signedIn())),
      invalidGrant: c.invalidGrant,
      reuse: c.reuse,
    };
    // The tab that logged out loads the app again. A library that signs in
    // silently at load (check-sso) asks the provider, whose answer says
    // whether the user's session there outlived the revocation.
    const answeredBefore = c.authorizationErrors.length;
    await before.load();
    counts.signedInAfterReload = await until(() => before.signedIn(), Boolean, 2_000);
    counts.providerAnswersAfterReload = w.counters().authorizationErrors.slice(answeredBefore);
    record(t, file, `${label} scenario 2 (logout)`, counts);

    assert.deepEqual(counts.logoutReasons, tabs.map(() => ['user']), 'every tab logged out once, user');
    assert.deepEqual(counts.remote, [[false], [true], [true]], 'decided in the tab that logged out, told to the others');
    assert.deepEqual(counts.signedInAtEnd, [false, false, false]);
    assert.ok(counts.activeRefreshTokensBefore >= 1);
    if (revokes) {
      assert.ok(counts.refreshTokensRevoked >= 1, 'the refresh token was revoked at the revocation endpoint');
      assert.equal(counts.activeRefreshTokensAfter, 0, 'the provider accepts no refresh token of the session any more');
    } else {
      // What the recipe cannot do, measured: with no revocation endpoint it
      // only forgets the tokens, which stay valid at the provider until they expire.
      assert.ok(counts.activeRefreshTokensAfter >= 1, 'without a revocation endpoint the refresh tokens stay valid at the provider');
    }
    assert.ok(
      counts.ownTokensPerTab.every((x) => x !== true),
      'no tab’s library still holds tokens of its own',
    );
    assert.equal(counts.invalidGrant, 0);
    assert.equal(counts.reuse, 0);
    assert.equal(counts.signedInAfterReload, false, 'a reload stays signed out');
    assert.deepEqual(counts.providerAnswersAfterReload, afterLogoutReload, 'what the provider answered the reloaded tab');
    assert.deepEqual(w.problems, []);
  });

  test(`${label} 3. the session revoked at the provider: the next refresh is refused once, every tab logs out (revoked)`, async (t) => {
    const { w, tabs } = await tabsAroundSignIn(t, lib);
    await activeUser(w, tabs, 2 * TTL_SECS * 1000, { done: () => w.counters().refreshGrants >= 1 });
    const grantsBefore = w.counters().refreshGrants;
    const revokedGrants = await w.op.revokeAllGrants();
    let logouts = [];
    await activeUser(w, tabs, 2 * TTL_SECS * 1000, {
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
      reuse: c.reuse,
      logoutReasons: logouts.map((l) => l.map((e) => e.detail.reason)),
      remote: logouts.map((l) => l.map((e) => e.detail.remote)),
      signedInAtEnd: await Promise.all(tabs.map((tab) => tab.signedIn())),
    };
    record(t, file, `${label} scenario 3 (revoked)`, counts);

    assert.ok(counts.grantsRevokedOutOfBand >= 1, 'the session’s grant revoked');
    assert.equal(counts.refreshGrantsAfterRevocation, 0);
    assert.equal(counts.invalidGrant, 1, 'one tab tried a revoked refresh token, once');
    assert.equal(counts.reuse, 0);
    assert.deepEqual(counts.logoutReasons, tabs.map(() => ['revoked']), 'every tab logged out once, revoked');
    assert.equal(counts.remote.flat().filter((r) => !r).length, 1, 'decided in one tab, told to the others');
    assert.deepEqual(counts.signedInAtEnd, [false, false, false]);
    assert.deepEqual(w.problems, []);
  });
}
