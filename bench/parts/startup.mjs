// 4. Start-up: from import() to a ready object, median of LOADS fresh page
// loads (a new browser context each: no HTTP cache, no compiled-code cache),
// in Chromium and Firefox side by side: this SDK, the browser's floor
// (www/floor.js: what the SDK's constructor asks of the browser, in plain JS
// and nothing else), oidc-client-ts `new UserManager` and keycloak-js
// `new Keycloak` loaded the same way (the size part's bundles). In Chromium
// the SDK's first constructor is then split into its parts (startup-split.mjs),
// from loads interleaved with these.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINES, newContext, newPage, outDir, pkgReady, startStaticServer } from '../lib/harness.mjs';
import { fixed, median } from '../lib/report.mjs';
import { bundlePeers, peerFile } from './size.mjs';
import { SPLIT_LOADS, SPLIT_VARIANTS, splitCells, splitSection } from './startup-split.mjs';

const LOADS = 20;
const TARGET_MS = 10;

const variants = [
  { id: 'sdk', lib: 'sdk', bytesInHand: false, label: 'keep-session-alive: import + init() fetching the .wasm + new SessionKeeper', needsPkg: true },
  { id: 'sdk-bytes', lib: 'sdk', bytesInHand: true, label: 'keep-session-alive, bytes in hand: import + init({ module_or_path: bytes }) + new SessionKeeper', needsPkg: true },
  { id: 'floor', lib: 'floor', bytesInHand: true, label: "floor, bytes in hand: import + new Floor (www/floor.js: the browser calls of new SessionKeeper, in plain JS)" },
  { id: 'floor-activity', lib: 'floor-activity', bytesInHand: true, label: 'floor + the 7 activity listeners (the default list; a live session adds them), bytes in hand' },
  { id: 'oidc', lib: 'oidc', bytesInHand: false, label: 'oidc-client-ts: import + new UserManager' },
  { id: 'oidc-bytes', lib: 'oidc', bytesInHand: true, label: 'oidc-client-ts, bytes in hand' },
  { id: 'keycloak', lib: 'keycloak', bytesInHand: false, label: 'keycloak-js: import + new Keycloak' },
  { id: 'keycloak-bytes', lib: 'keycloak', bytesInHand: true, label: 'keycloak-js, bytes in hand' },
];

/**
 * One fresh page load of a cell: { lib, bytesInHand, eagerGlue } in
 * `cell.browser`; `cell.around(page, run)` may wrap the measurement (tracing).
 */
async function load(cell, origin) {
  const context = await newContext(cell.browser);
  try {
    const page = await newPage(context);
    await page.goto(`${origin}/startup.html`);
    const run = () => page.evaluate(([lib, b, g]) => globalThis.benchStartup(lib, b, g), [cell.lib, cell.bytesInHand, cell.eagerGlue ?? false]);
    return await (cell.around ? cell.around(page, run) : run());
  } finally {
    await context.close();
  }
}

/** The browser calls one construction of `lib` makes, from an untimed page. */
async function census(browser, lib, origin) {
  const context = await newContext(browser);
  try {
    const page = await newPage(context);
    await page.goto(`${origin}/startup.html`);
    return await page.evaluate((l) => globalThis.benchCensus(l), lib);
  } finally {
    await context.close();
  }
}

const describeCensus = ({ calls, listened }) =>
  Object.entries(calls)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([what, n]) => (what === 'addEventListener' ? `addEventListener ${n} (${listened.join(', ')})` : `${what} ${n}`))
    .join(', ');

/** `browsers`: { chromium, firefox }, either null when not running. */
export async function runStartup(browsers) {
  if (!['oidc-client-ts', 'keycloak-js'].every((n) => existsSync(join(outDir, peerFile(n))))) await bundlePeers();
  const server = await startStaticServer();
  const engines = ENGINES.filter((e) => browsers[e.id]);
  const active = variants.filter((v) => !v.needsPkg || pkgReady());
  const cells = engines.flatMap((e) => active.map((v) => ({ key: `${e.id}/${v.id}`, browser: browsers[e.id], loads: SPLIT_VARIANTS.includes(v.id) ? SPLIT_LOADS : LOADS, ...v })));
  const split = browsers.chromium && pkgReady() ? await splitCells(browsers.chromium) : null;
  if (split) cells.push(...split.cells);
  const samples = Object.fromEntries(cells.map((c) => [c.key, []]));
  const censuses = {};
  try {
    // Interleaved: load i of every cell, then load i + 1, so drift in the
    // machine's load spreads over all of them.
    const rounds = Math.max(...cells.map((c) => c.loads));
    for (let i = 0; i < rounds; i++) {
      for (const cell of cells) {
        if (i < cell.loads) samples[cell.key].push(await load(cell, server.origin));
      }
    }
    for (const e of engines) {
      censuses[e.id] = {};
      for (const lib of ['sdk', 'floor', 'floor-activity'].filter((l) => l !== 'sdk' || pkgReady())) censuses[e.id][lib] = await census(browsers[e.id], lib, server.origin);
    }
  } finally {
    await server.close();
    await split?.close();
  }

  const stats = (key) => {
    const s = samples[key];
    if (!s?.length) return undefined;
    const med = (k) => median(s.map((x) => x[k]));
    const totals = s.map((x) => x.total);
    return { total: med('total'), import: med('import'), init: med('init'), construct: med('construct'), again: med('again'), min: Math.min(...totals), max: Math.max(...totals) };
  };
  const data = Object.fromEntries(engines.map((e) => [e.id, Object.fromEntries(active.map((v) => [v.id, stats(`${e.id}/${v.id}`)]))]));

  const head = ['library, what is timed', ...ENGINES.flatMap((e) => [`${e.name} ms (min … max)`, `${e.name}: import / init / constructor`, `${e.name}: 2nd constructor`])];
  const rows = variants.map((v) => [
    v.label,
    ...ENGINES.flatMap((e) => {
      if (!browsers[e.id]) return ['not run', '', ''];
      const d = data[e.id][v.id];
      if (!d) return ['pkg/ not built', '', ''];
      return [`${fixed(d.total, 2)} (${fixed(d.min, 1)} … ${fixed(d.max, 1)})`, `${fixed(d.import, 2)} / ${v.lib === 'sdk' ? fixed(d.init, 2) : '–'} / ${fixed(d.construct, 2)}`, fixed(d.again, 2)];
    }),
  ]);
  const notes = [
    `performance.now() in the page, median of ${LOADS} fresh page loads per row and browser (${SPLIT_LOADS} for the rows the split below reads: the SDK's bytes in hand and the floor), a new browser context each, every row of both browsers interleaved; the phase columns are medians of their own, so they need not add up. Files from a Node server on 127.0.0.1.`,
    'Bytes in hand: the module text and the .wasm fetched before the clock starts, the module imported from a blob: URL; what is left is parse, compile, instantiate and construct.',
    "2nd constructor: a second object made in the same page right after the first (the first one disposed): the difference to the first is compilation and first-run work, which Chromium's V8 does lazily on first call (wasm functions included); Firefox compiles the whole .wasm during init().",
  ];
  // One note per distinct census: the browsers usually agree.
  const censusNotes = new Map();
  for (const e of engines) {
    const c = censuses[e.id];
    if (!c.sdk) continue;
    const same = describeCensus(c.sdk) === describeCensus(c.floor);
    const text = `new SessionKeeper: ${describeCensus(c.sdk)}; the floor: ${same ? 'the same' : `DIFFERENT: ${describeCensus(c.floor)}`}; the floor + activity listeners: ${describeCensus(c['floor-activity'])}.`;
    censusNotes.set(text, [...(censusNotes.get(text) ?? []), e.name]);
  }
  for (const [text, names] of censusNotes) notes.push(`Browser calls of one construction in ${names.join(' and ')}, counted in an untimed page by wrapping the APIs: ${text}`);
  for (const e of engines) {
    const sdk = data[e.id]['sdk-bytes'];
    if (!sdk) continue;
    const oidc = data[e.id]['oidc-bytes'];
    const keycloak = data[e.id]['keycloak-bytes'];
    const vs = (peer, name) => `${name} ${fixed(peer.total, 2)} ms: ${sdk.total <= peer.total ? 'met' : `missed by ${fixed(sdk.total - peer.total, 2)} ms`}`;
    notes.push(
      `${e.name}, bytes in hand: ${fixed(sdk.total, 2)} ms (import ${fixed(sdk.import, 2)}, init ${fixed(sdk.init, 2)}, constructor ${fixed(sdk.construct, 2)}, a second constructor ${fixed(sdk.again, 2)}). The first target < ${TARGET_MS} ms: ${sdk.total < TARGET_MS ? 'met' : `missed by ${fixed(sdk.total - TARGET_MS, 2)} ms`}. The target ≤ ${vs(oidc, 'oidc-client-ts')}; its goal ≤ ${vs(keycloak, 'keycloak-js')}.`,
    );
  }
  const sections = [{ title: '4. Start-up (headless Chromium and Firefox)', head, rows, notes }];
  if (split) {
    const { section, data: splitData } = splitSection(samples);
    sections.push(section);
    data.split = splitData;
  }
  return { sections, data };
}
