// Scenarios 7-9: logout across tabs, a new tab joining a signed-in session,
// and the token staying in memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { World, ROUTES, delta, tokenOptions, signedInTabs } from './lib/harness.mjs';
import { record } from './lib/report.mjs';

test('7. logout in one tab logs out every tab within 500 ms, with cause user and remote: true; afterwards the server rejects the old refresh cookie', async (t) => {
  const w = await World.start({ server: { flags: { accessTtlSecs: 300, idleTimeoutSecs: 900 } } });
  t.after(() => w.close());
  const tabs = await signedInTabs(w, 3, tokenOptions());
  await w.advance(5 * 60_000, { step: 10_000, each: () => tabs[0].activity() });
  const rt = (await w.context.cookies()).find((c) => c.name === 'ksa_rt')?.value;
  assert.ok(rt, 'the browser holds a refresh cookie');
  const before = await w.counters();
  const [, b] = tabs;
  const loggedOutAt = w.now;
  await b.eval(() => window.keeper.logout());
  // Within 500 simulated ms every tab is signed out.
  let outAfterMs = null;
  for (let ms = 0; ms <= 500; ms += 50) {
    const states = await w.until(
      () => Promise.all(tabs.map((tab) => tab.state())),
      (ss) => ss.every((s) => !s.authenticated),
      1_000,
    );
    if (states.every((s) => !s.authenticated)) {
      outAfterMs = ms;
      break;
    }
    await w.advance(50, { step: 50 });
  }
  await w.settle();
  const details = [];
  for (const tab of tabs) {
    const logouts = await tab.events('logout');
    assert.equal(logouts.length, 1, `${tab.name}: one logout event`);
    assert.ok(logouts[0].at - loggedOutAt <= 500, `${tab.name}: logout ${logouts[0].at - loggedOutAt} simulated ms after logout()`);
    details.push({ tab: tab.name, ...logouts[0].detail });
  }
  const d = delta(before, await w.counters());
  const old = await w.server.post(ROUTES.refresh, `ksa_rt=${rt}`);
  const jar = (await w.context.cookies()).filter((c) => c.name === 'ksa_rt' || c.name === 'ksa_sid');
  record(t, import.meta.url, 'scenario 7', {
    tabs: 3,
    allSignedOutAfterSimulatedMs: outAfterMs,
    logoutDetails: details,
    logoutRequests: d.requests[ROUTES.logout] ?? 0,
    oldRefreshCookieStatus: old.status,
  });
  assert.notEqual(outAfterMs, null, 'every tab signed out within 500 simulated ms');
  assert.equal(d.requests[ROUTES.logout], 1, 'one POST /api/auth/logout');
  assert.equal(old.status, 401, 'the old refresh cookie is rejected');
  assert.deepEqual(jar, [], 'the logout reply cleared both cookies from the browser');
  for (const x of details) {
    assert.equal(x.reason, 'user', `${x.tab}: cause user`);
    assert.equal(x.remote, x.tab !== b.name, `${x.tab}: remote is ${x.tab !== b.name}`);
  }
  assert.deepEqual(w.problems, []);
});

test('8. a new tab opened while signed in gets the token from a sibling, with no refresh request from that tab', async (t) => {
  const w = await World.start({ server: { flags: { accessTtlSecs: 300, idleTimeoutSecs: 900 } } });
  t.after(() => w.close());
  const tabs = await signedInTabs(w, 2, tokenOptions());
  await w.advance(5 * 60_000, { step: 10_000, each: () => tabs[0].activity() });
  const sibling = await tabs[0].token();
  const before = await w.counters();
  // The clock does not move: the answer must come from a sibling, well
  // before siblingWaitMs would send this tab to the refresh cookie.
  const fresh = await w.open(tokenOptions(), { name: 'new tab' });
  const s = await w.until(() => fresh.state(), (st) => st.authenticated && !st.restoring);
  const token = await fresh.token();
  await w.advance(2_000, { step: 100 });
  const d = delta(before, await w.counters());
  const own = await fresh.requests(ROUTES.refresh);
  const profile = await fresh.fetch(ROUTES.profile);
  record(t, import.meta.url, 'scenario 8', {
    refreshesFromNewTab: own.length,
    refreshesOnServer: d.refreshes,
    sameTokenAsSibling: token === sibling,
    profileStatus: profile.status,
  });
  assert.equal(s.authenticated, true, 'the new tab is signed in');
  assert.equal(token, sibling, 'it holds the sibling’s token');
  assert.deepEqual(own, [], 'the new tab sent no refresh request');
  assert.equal(d.refreshes, 0, 'the server saw no refresh');
  assert.equal(profile.status, 200);
  assert.deepEqual(w.problems, []);
});

test('9. memory only: after login and refreshes, the token is in no localStorage, sessionStorage, IndexedDB, document.cookie or URL of any tab', async (t) => {
  const w = await World.start({ server: { flags: { accessTtlSecs: 120, idleTimeoutSecs: 900 } } });
  t.after(() => w.close());
  const tabs = await signedInTabs(w, 3, tokenOptions({ refreshLeadMs: 30_000 }));
  let turn = 0;
  await w.advance(20 * 60_000, {
    step: 10_000,
    each: async () => {
      const tab = tabs[turn++ % tabs.length];
      await tab.activity();
      await tab.fetch(ROUTES.profile);
    },
  });
  const tokens = [...new Set(w.issued)];
  assert.ok(tokens.length >= 5, `${tokens.length} tokens handed out`);
  // The signature alone is unique to each token: look for it too.
  const needles = tokens.flatMap((tok) => [tok, tok.split('.')[2]]);
  const dumps = [];
  for (const tab of tabs) {
    dumps.push({
      tab: tab.name,
      ...(await tab.eval(async () => {
        const dump = (s) => Array.from({ length: s.length }, (_, i) => [s.key(i), s.getItem(s.key(i))]);
        const idb = [];
        for (const info of (await indexedDB.databases?.()) ?? []) {
          const db = await new Promise((resolve, reject) => {
            const r = indexedDB.open(info.name);
            r.onsuccess = () => resolve(r.result);
            r.onerror = () => reject(r.error);
          });
          for (const store of db.objectStoreNames) {
            const rows = await new Promise((resolve) => {
              const r = db.transaction(store).objectStore(store).getAll();
              r.onsuccess = () => resolve(r.result);
            });
            idb.push([info.name, store, JSON.stringify(rows)]);
          }
          db.close();
        }
        return {
          localStorage: dump(localStorage),
          sessionStorage: dump(sessionStorage),
          indexedDB: idb,
          cookie: document.cookie,
          url: location.href,
          history: history.length,
          state: JSON.stringify(window.keeper.state),
        };
      })),
    });
  }
  const cookies = await w.context.cookies();
  const haystacks = [
    ...dumps.flatMap((d) => [
      [`${d.tab} localStorage`, JSON.stringify(d.localStorage)],
      [`${d.tab} sessionStorage`, JSON.stringify(d.sessionStorage)],
      [`${d.tab} IndexedDB`, JSON.stringify(d.indexedDB)],
      [`${d.tab} document.cookie`, d.cookie],
      [`${d.tab} URL`, d.url],
      [`${d.tab} state`, d.state],
    ]),
    ['cookie jar', JSON.stringify(cookies)],
  ];
  const leaks = haystacks.filter(([, text]) => needles.some((n) => text.includes(n))).map(([where]) => where);
  record(t, import.meta.url, 'scenario 9', {
    tabs: 3,
    tokensHandedOut: tokens.length,
    placesSearched: haystacks.length,
    localStorageKeys: dumps.map((d) => d.localStorage.length),
    indexedDBStores: dumps.map((d) => d.indexedDB.length),
    leaks,
  });
  assert.deepEqual(leaks, [], 'no token text anywhere');
  // The tokens did reach every tab (memory only, not nowhere).
  const held = await Promise.all(tabs.map((tab) => tab.token()));
  assert.ok(held.every((tok) => tok === tokens.at(-1)));
  assert.deepEqual(w.problems, []);
});
