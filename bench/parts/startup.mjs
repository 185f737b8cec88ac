// 4. Start-up: from import() to a ready SessionKeeper, median of LOADS fresh
// page loads (a new browser context each: no HTTP cache, no compiled-code
// cache), next to oidc-client-ts `new UserManager` and keycloak-js
// `new Keycloak` loaded the same way (the size part's bundles).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { newPage, outDir, pkgReady, startStaticServer } from '../lib/harness.mjs';
import { fixed, median } from '../lib/report.mjs';
import { bundlePeers, peerFile } from './size.mjs';

const LOADS = 20;
const TARGET_MS = 10;

const variants = [
  { lib: 'sdk', bytesInHand: false, label: 'keep-session-alive: import + init() fetching the .wasm + new SessionKeeper', needsPkg: true },
  { lib: 'sdk', bytesInHand: true, label: 'keep-session-alive, bytes in hand: import + init({ module_or_path: bytes }) + new SessionKeeper', needsPkg: true },
  { lib: 'oidc', bytesInHand: false, label: 'oidc-client-ts: import + new UserManager' },
  { lib: 'oidc', bytesInHand: true, label: 'oidc-client-ts, bytes in hand' },
  { lib: 'keycloak', bytesInHand: false, label: 'keycloak-js: import + new Keycloak' },
  { lib: 'keycloak', bytesInHand: true, label: 'keycloak-js, bytes in hand' },
];

export async function runStartup(browser) {
  if (!['oidc-client-ts', 'keycloak-js'].every((n) => existsSync(join(outDir, peerFile(n))))) await bundlePeers();
  const server = await startStaticServer();
  const active = variants.filter((v) => !v.needsPkg || pkgReady());
  const samples = active.map(() => []);
  try {
    // Interleaved: load i of every variant, then load i + 1, so drift in the
    // machine's load spreads over all of them.
    for (let i = 0; i < LOADS; i++) {
      for (const [k, v] of active.entries()) {
        const context = await browser.newContext();
        try {
          const page = await newPage(context);
          await page.goto(`${server.origin}/startup.html`);
          samples[k].push(await page.evaluate(([lib, b]) => globalThis.benchStartup(lib, b), [v.lib, v.bytesInHand]));
        } finally {
          await context.close();
        }
      }
    }
  } finally {
    await server.close();
  }
  const med = (k, key) => median(samples[k].map((s) => s[key]));
  const head = ['library, what is timed', 'median ms', 'import', 'init', 'constructor', 'min … max ms', '2nd constructor'];
  const rows = variants.map((v) => {
    const k = active.indexOf(v);
    if (k < 0) return [v.label, 'pkg/ not built', '', '', '', '', ''];
    const totals = samples[k].map((s) => s.total);
    return [v.label, fixed(med(k, 'total'), 2), fixed(med(k, 'import'), 2), v.lib === 'sdk' ? fixed(med(k, 'init'), 2) : '–', fixed(med(k, 'construct'), 2), `${fixed(Math.min(...totals), 1)} … ${fixed(Math.max(...totals), 1)}`, fixed(med(k, 'again'), 2)];
  });
  const data = Object.fromEntries(active.map((v, k) => [`${v.lib}${v.bytesInHand ? '-bytes' : ''}`, { total: med(k, 'total'), import: med(k, 'import'), init: med(k, 'init'), construct: med(k, 'construct'), again: med(k, 'again') }]));
  const notes = [
    `performance.now() in the page, median of ${LOADS} fresh page loads per row (a new browser context each, rows interleaved); the phase columns are medians of their own, so they need not add up. Files from a Node server on 127.0.0.1.`,
    'Bytes in hand: the module text and the .wasm fetched before the clock starts, the module imported from a blob: URL; what is left is parse, compile, instantiate and construct.',
    '2nd constructor: a second object made in the same page right after the first (the SDK\'s first one disposed): the difference to the first is compilation and first-run work, which V8 does lazily on first call (wasm functions included).',
  ];
  if (data['sdk-bytes']) {
    const t = data['sdk-bytes'].total;
    notes.push(`Target < ${TARGET_MS} ms once the bytes are loaded: ${fixed(t, 2)} ms, ${t < TARGET_MS ? 'met' : `missed by ${fixed(t - TARGET_MS, 2)} ms`} (import ${fixed(data['sdk-bytes'].import, 2)}, init ${fixed(data['sdk-bytes'].init, 2)}, constructor ${fixed(data['sdk-bytes'].construct, 2)} ms, a second constructor ${fixed(data['sdk-bytes'].again, 2)} ms).`);
  }
  return { sections: [{ title: '4. Start-up (headless Chromium)', head, rows, notes }], data };
}
