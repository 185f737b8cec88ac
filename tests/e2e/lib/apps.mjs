// The framework apps of scenarios 15 and 16 (angular-app/, vue-app/): each
// has its own package.json and lock (installed by scripts/test), builds with
// its framework's own tool, and shows the same page: a status line, "Sign in",
// the idle warning dialog ("Stay signed in", "Log out"), "Sign out", the last
// logout's reason, and `window.counts`, the app's own count of its renders or
// change-detection runs. One scenario runs them all in two tabs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { World, ROUTES, delta } from './harness.mjs';
import { e2eDir, root } from './paths.mjs';

const TTL_SECS = 300;
// Every app's keeper options: the warning comes this long after the last activity.
const keeperOptions = JSON.parse(readFileSync(join(e2eDir, 'lib/app-keeper-options.json'), 'utf8'));
const WARNING_AFTER_MS = keeperOptions.idleTimeoutMs - keeperOptions.warningMs;
const QUIET_MS = 20_000;

/** The app folder `name` under tests/e2e, with its node_modules installed. */
export function appDir(name) {
  const dir = join(e2eDir, name);
  assert.ok(existsSync(join(dir, 'node_modules')), `${dir}/node_modules is missing: npm ci there (scripts/test does)`);
  return dir;
}

/**
 * Asserts that both built packages (pkg/, pkg-bundler/) export `subpath`
 * (e.g. './angular') with types, and that what `npm pack` would publish
 * holds its files and the store they import.
 */
export function assertPublished(subpath) {
  for (const dir of [join(root, 'pkg'), join(root, 'pkg-bundler')]) {
    const entry = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).exports?.[subpath];
    assert.ok(entry?.types && entry?.default, `${dir}/package.json exports ${subpath} with types: ${JSON.stringify(entry)}`);
    const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    const files = packed[0].files.map((f) => `./${f.path}`);
    for (const f of [entry.types, entry.default, './session-store.js']) assert.ok(files.includes(f), `npm pack of ${dir} has ${f}: ${files}`);
  }
}

/** Asserts that the npm README shows `file` (an app's warning dialog) as it is. */
export function assertInReadme(file) {
  const readme = readFileSync(join(root, 'pkg-template/README.md'), 'utf8');
  assert.ok(readme.includes(readFileSync(file, 'utf8')), `pkg-template/README.md shows ${file} as it is`);
}

/** Runs a build or check command; its output is shown only when it fails. */
export function run(command, args, { cwd, env = {} }) {
  try {
    execFileSync(command, args, { cwd, env: { ...process.env, ...env }, stdio: 'pipe', encoding: 'utf8' });
  } catch (e) {
    throw new Error(`${[command, ...args].join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** The numeric fields of the page's `window.counts`. */
async function counts(tab) {
  const all = await tab.page.evaluate(() => window.counts);
  return Object.fromEntries(Object.entries(all).filter(([, v]) => typeof v === 'number'));
}

function minus(after, before) {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - before[k]]));
}

// The text of the element(s) `locator` finds, null while there is none (no waiting).
async function textOf(locator) {
  const all = await locator.allTextContents();
  return all.length ? all.join('') : null;
}
const text = (tab, id) => textOf(tab.page.getByTestId(id));

// A frame of simulated time: Angular's zoneless scheduler renders on a
// timer or animation frame, which only the simulated clock fires.
const FRAME_MS = 16;

/**
 * Reads `read(tab)` in every tab until `ok` holds for all, moving the
 * simulated clock one frame between reads (bounded, like World.until).
 */
async function untilAll(w, tabs, read, ok) {
  let values;
  for (let i = 0; i < 200; i++) {
    values = await Promise.all(tabs.map(read));
    if (values.every(ok)) break;
    await w.advance(FRAME_MS, { step: FRAME_MS });
  }
  return values;
}

const status = (tab) => text(tab, 'status');
const reason = (tab) => text(tab, 'reason');
// The warning dialog: the component shown in the npm README (no test ids).
const dialog = (tab) => tab.page.getByRole('alertdialog');
const dialogs = (tab) => dialog(tab).count();

/**
 * The app served from `dist` (at `path`) in two tabs against the reference
 * server, on the simulated clock: the first tab signs in and the second
 * follows; 20 s pass with nothing changing (the renders or change-detection
 * runs counted in both tabs); the idle warning comes up in both from the
 * entry's state; "Stay signed in" in the first withdraws it in both; "Sign
 * out" in the first signs both out with reason `user`; unmounting the first
 * tab's app disposes its keeper, and the second tab becomes the leader.
 * Returns the counts.
 */
export async function twoTabScenario({ name, dist, path = '/' }) {
  const w = await World.start({ server: { wwwDir: dist, flags: { accessTtlSecs: TTL_SECS, idleTimeoutSecs: 900 } } });
  try {
    const first = await w.open(null, { name: `${name} first`, path });
    const second = await w.open(null, { name: `${name} second`, path });
    const tabs = [first, second];
    // Each tab's keeper restores first (no cookie yet: signed out).
    assert.deepEqual(await untilAll(w, tabs, status, (s) => s === 'signed out'), ['signed out', 'signed out']);

    const before = await w.counters();
    await first.page.getByRole('button', { name: 'Sign in' }).click();
    await w.settle();
    const signedIn = await untilAll(w, tabs, status, (s) => s === 'signed in');
    const signedInAt = w.now;

    // Quiet: the entry polls the state every second and nothing changes,
    // so no tab renders or runs change detection.
    const quietBefore = await Promise.all(tabs.map(counts));
    await w.advance(QUIET_MS, { step: 1_000 });
    const quiet = (await Promise.all(tabs.map(counts))).map((c, i) => minus(c, quietBefore[i]));
    const hiddenWhileActive = await Promise.all(tabs.map(dialogs));

    // Idle: the warning comes up in both tabs, from the entry's state.
    await w.advance(WARNING_AFTER_MS + 10_000 - (w.now - signedInAt), { step: 5_000 });
    const shown = await untilAll(w, tabs, dialogs, (n) => n === 1);
    const warningTexts = await Promise.all(tabs.map((tab) => textOf(dialog(tab))));
    const keeperWarns = await Promise.all(tabs.map((tab) => tab.eval(() => window.keeper.state.warningRemainingMs !== null)));

    // "Stay signed in" in the first tab withdraws it in both.
    await first.page.getByRole('button', { name: 'Stay signed in' }).click();
    await w.settle();
    const withdrawn = await untilAll(w, tabs, dialogs, (n) => n === 0);
    const stillIn = await Promise.all(tabs.map(status));

    // "Sign out" in the first tab signs both out.
    await first.page.getByRole('button', { name: 'Sign out' }).click();
    await w.settle();
    const signedOut = await untilAll(w, tabs, status, (s) => s === 'signed out');
    const reasons = await untilAll(w, tabs, reason, (s) => s === 'last logout: user');
    const d = delta(before, await w.counters());

    // The leading tab's app goes away (Angular's ApplicationRef.destroy(),
    // Vue's app.unmount()): its keeper is disposed, which hands the leader
    // lock to the other tab. Which tab leads is whichever keeper asked for
    // the lock first: on a cold machine the second tab's app may boot first.
    const leader = (tab) => tab.eval(() => window.keeper.state.leader);
    const leadersBefore = await Promise.all(tabs.map(leader));
    const leading = leadersBefore[1] === true ? 1 : 0;
    await tabs[leading].eval(() => window.unmountApp());
    const [otherLeads] = await untilAll(w, [tabs[1 - leading]], leader, (l) => l === true);

    // Angular's app says whether zone.js drives it.
    const mode = await first.eval(() => window.counts.mode);
    const result = {
      ...(mode ? { mode } : {}),
      quietSimulatedMs: QUIET_MS,
      quiet: { first: quiet[0], second: quiet[1] },
      warningTexts,
      reasons,
      loginRequests: d.requests[ROUTES.login] ?? 0,
      logoutRequests: d.requests[ROUTES.logout] ?? 0,
      leaderBefore: leading === 0 ? 'first' : 'second',
      leaderAfterUnmount: otherLeads ? (leading === 0 ? 'second' : 'first') : 'none',
    };
    const about = JSON.stringify(result);

    assert.deepEqual(signedIn, ['signed in', 'signed in'], `the second tab follows the first's login: ${about}`);
    for (const q of quiet) {
      for (const [k, n] of Object.entries(q)) assert.equal(n, 0, `${k} while nothing changed: ${about}`);
    }
    assert.deepEqual(hiddenWhileActive, [0, 0], 'no dialog while active');
    assert.deepEqual(shown, [1, 1], 'the warning dialog is up in both tabs');
    assert.deepEqual(keeperWarns, [true, true], 'both keepers warn');
    for (const t of warningTexts) assert.match(t ?? '', /Are you still there\? You will be signed out in \d+ s/);
    assert.deepEqual(withdrawn, [0, 0], '"Stay signed in" withdrew the dialog in both tabs');
    assert.deepEqual(stillIn, ['signed in', 'signed in']);
    assert.deepEqual(signedOut, ['signed out', 'signed out'], `the second tab follows the first's logout: ${about}`);
    assert.deepEqual(reasons, ['last logout: user', 'last logout: user'], about);
    assert.equal(d.requests[ROUTES.login], 1, 'one login request');
    assert.equal(d.requests[ROUTES.logout], 1, 'one logout request');
    assert.equal(leadersBefore.filter(Boolean).length, 1, `one tab leads: ${about}`);
    assert.equal(otherLeads, true, `unmounting the leading tab's app disposed its keeper: the other tab leads: ${about}`);
    assert.deepEqual(w.problems, []);
    return result;
  } finally {
    await w.close();
  }
}
