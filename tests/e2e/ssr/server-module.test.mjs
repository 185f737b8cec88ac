// The package where there is no browser, in plain Node: `import
// 'keep-session-alive'` resolves to server.js (the "node" condition of its
// exports) in both built packages, and what it exports mirrors the glue's
// public API: the same exports, every method and getter of SessionKeeper
// and ActivityHold, a state with every field of the declared SessionState.
// init() fetches nothing, a keeper starts no timer, and the methods that need
// a browser reject saying so. The framework entries' server answers are
// checked by the apps (next, nuxt, angular .test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from '../lib/paths.mjs';

const members = (cls) =>
  Object.getOwnPropertyNames(cls.prototype)
    .filter((n) => n !== 'constructor' && !n.startsWith('__'))
    .sort();

// The fields of `interface SessionState { … }` in the package's declarations.
function declaredStateFields(dts) {
  const body = dts.match(/export interface SessionState \{([\s\S]*?)\n\}/)?.[1] ?? '';
  return [...body.matchAll(/^\s+(\w+):/gm)].map((m) => m[1]).sort();
}

for (const dir of ['pkg', 'pkg-bundler']) {
  test(`server module (${dir}): Node resolves keep-session-alive to an inert mirror of the glue's API`, async () => {
    const pkg = join(root, dir);
    // What Node resolves the bare name to from inside the package (its exports, self-reference).
    const resolved = execFileSync(process.execPath, ['--input-type=module', '-e', "console.log(import.meta.resolve('keep-session-alive'))"], {
      cwd: pkg,
      encoding: 'utf8',
    }).trim();
    assert.equal(resolved, pathToFileURL(join(pkg, 'server.js')).href, 'the "node" condition picks server.js');

    const server = await import(pathToFileURL(join(pkg, 'server.js')).href);
    const glueFile = dir === 'pkg' ? 'keep_session_alive.js' : 'keep_session_alive_bg.js';
    const glue = await import(pathToFileURL(join(pkg, glueFile)).href);
    for (const name of ['SessionKeeper', 'ActivityHold']) {
      assert.deepEqual(members(server[name]), members(glue[name]), `${name}: the same methods and getters as the glue's`);
    }
    if (dir === 'pkg') {
      const publicExports = (m) => Object.keys(m).sort();
      assert.deepEqual(publicExports(server), publicExports(glue), 'the same exports as the web glue');
    }

    // Nothing fetched, nothing scheduled.
    const realFetch = globalThis.fetch;
    const fetched = [];
    globalThis.fetch = (...args) => {
      fetched.push(String(args[0]));
      return realFetch(...args);
    };
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    let keeper;
    try {
      await server.default();
      server.initSync();
      keeper = new server.SessionKeeper({ keepaliveUrl: '/api/keepalive', sessionTimeoutMs: 60_000 });
      keeper.addEventListener('login', () => {});
      keeper.setSession({});
      keeper.touch();
      keeper.staySignedIn();
      const hold = keeper.holdActive('upload');
      assert.equal(hold.label, 'upload');
      assert.equal(hold.held, false, 'a hold made on the server is never in force');
      hold.release();
      for (const call of [() => keeper.login({}), () => keeper.logout(), () => keeper.fetch('/api/session'), () => keeper.getAccessToken()]) {
        await assert.rejects(call(), /keep-session-alive: .* needs a browser/);
      }
    } finally {
      globalThis.fetch = realFetch;
    }
    assert.deepEqual(fetched, [], 'init() and the keeper fetched nothing');
    assert.equal(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length, timersBefore, 'no timer started');

    const state = keeper.state;
    const dts = readFileSync(join(pkg, 'keep_session_alive.d.ts'), 'utf8');
    assert.deepEqual(Object.keys(state).sort(), declaredStateFields(dts), 'every field of SessionState');
    assert.equal(state.restoring, true, 'the state every keeper starts in: restoring');
    assert.equal(state.authenticated, false);
    keeper.dispose();
    keeper.free();
  });
}
