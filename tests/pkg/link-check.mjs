#!/usr/bin/env node
// Link check of the built packages in Node: the glue provides every import of
// the (import-renamed, see scripts/lib/shrink-pkg.mjs) .wasm, and the module
// instantiates and runs.
//
//   node tests/pkg/link-check.mjs [PKG_DIR] [PKG_BUNDLER_DIR]   (default: pkg/ pkg-bundler/)
//
// web:     initSync({ module: <bytes of the .wasm> }) from keep_session_alive.js;
//          the imports object it passes must match the module's imports exactly.
// bundler: keep_session_alive.js imported under --experimental-wasm-modules (Node
//          links the .wasm's imports to keep_session_alive_bg.js's exports by name,
//          as a bundler does); every import must be a function export of _bg.js.
// Both: the export names are the short ones (the shrink step ran; for web the
// import names and their module too), and a bad option makes the constructor
// throw an Error naming it (calls go through). Web: the option names of the
// TypeScript declaration (SessionKeeperOptions in the .d.ts) are exactly those
// the parser knows (listed by its unknown-option error), and the README's
// options table has the same names with the same defaults (both come from one
// table in src/api/options.rs), so none of the three can drift.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { resolve, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const name = 'keep_session_alive';
// The module the bundler .wasm imports its glue from (wasm-bindgen 0.2.130);
// the web .wasm's imports come from one module with a minified name.
const glueModule = `./${name}_bg.js`;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

let failures = 0;
function check(ok, what, detail = '') {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${!ok && detail ? `: ${detail}` : ''}`);
  if (!ok) failures++;
}

function wasmImports(dir) {
  const bytes = readFileSync(join(dir, `${name}_bg.wasm`));
  const module = new WebAssembly.Module(bytes);
  return { bytes, imports: WebAssembly.Module.imports(module), exports: WebAssembly.Module.exports(module) };
}

function checkShortExports(label, exports) {
  const long = exports.filter((e) => e.name.length > 3);
  check(exports.length > 1 && long.length === 0, `${label}: the ${exports.length} exports have short names`, `still long: ${long.slice(0, 3).map((e) => e.name).join(', ')}`);
}

function checkShortImports(label, imports) {
  const long = imports.filter((i) => i.name.length > 3 || i.module.length > 3);
  check(imports.length > 0 && long.length === 0, `${label}: the ${imports.length} imports and their module have short names`, `still long: ${long.slice(0, 3).map((i) => `${i.module}/${i.name}`).join(', ')}`);
}

function checkBadOption(label, SessionKeeper) {
  let err;
  try {
    new SessionKeeper({ nope: 1 });
  } catch (e) {
    err = e;
  }
  check(err instanceof Error && /nope/.test(err.message), `${label}: new SessionKeeper({ nope: 1 }) throws an Error naming \`nope\``, String(err));
}

/** The property names of `interface SessionKeeperOptions { … }` in the .d.ts. */
function declaredOptions(dir) {
  const dts = readFileSync(join(dir, `${name}.d.ts`), 'utf8');
  const body = dts.match(/export interface SessionKeeperOptions \{([\s\S]*?)\n\}/)?.[1] ?? '';
  return [...body.matchAll(/^\s*([A-Za-z]+)\?:/gm)].map((m) => m[1]);
}

/** `{ name: default }` from the .d.ts: each option's doc ends with "Default: …". */
function declaredDefaults(dir) {
  const dts = readFileSync(join(dir, `${name}.d.ts`), 'utf8');
  const body = dts.match(/export interface SessionKeeperOptions \{([\s\S]*?)\n\}/)?.[1] ?? '';
  return Object.fromEntries([...body.matchAll(/Default: (.*?)\. \*\/\s*\n\s*([A-Za-z]+)\?:/g)].map((m) => [m[2], m[1]]));
}

/** `{ name: default }` from the README's `| option | default | meaning |` table. */
function readmeDefaults(readme) {
  const lines = readFileSync(readme, 'utf8').split('\n');
  const start = lines.findIndex((l) => /^\| option \| default \| meaning \|/.test(l));
  const rows = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    rows.push([cells[0].replace(/^`|`$/g, ''), cells[1].replaceAll('**', '')]);
  }
  return start < 0 ? {} : Object.fromEntries(rows);
}

function checkReadmeOptions(label, dir) {
  const declared = declaredDefaults(dir);
  const documented = readmeDefaults(join(dir, 'README.md'));
  const names = declaredOptions(dir);
  const undocumented = names.filter((n) => !(n in documented));
  const unknown = Object.keys(documented).filter((n) => !names.includes(n));
  check(
    names.length > 10 && undocumented.length === 0 && unknown.length === 0,
    `${label}: the README's options table lists exactly the ${names.length} declared options`,
    `missing from the README: [${undocumented}], not declared: [${unknown}]`,
  );
  const differing = names.filter((n) => n in documented && documented[n] !== declared[n]);
  check(
    Object.keys(declared).length === names.length && differing.length === 0,
    `${label}: each option's default in the README is the one its declaration states`,
    differing.map((n) => `${n}: README "${documented[n]}", .d.ts "${declared[n]}"`).join('; ') || 'a declaration without "Default: …"',
  );
}

function checkOptionNames(label, SessionKeeper, dir) {
  let message = '';
  try {
    new SessionKeeper({ nope: 1 });
  } catch (e) {
    message = String(e?.message);
  }
  const parsed = (message.match(/the options are: (.*)$/)?.[1] ?? '').split(', ').filter(Boolean);
  const declared = declaredOptions(dir);
  const onlyDeclared = declared.filter((n) => !parsed.includes(n));
  const onlyParsed = parsed.filter((n) => !declared.includes(n));
  check(
    declared.length > 10 && onlyDeclared.length === 0 && onlyParsed.length === 0,
    `${label}: the ${declared.length} options of SessionKeeperOptions are the ${parsed.length} the parser knows`,
    `only declared: [${onlyDeclared}], only parsed: [${onlyParsed}]`,
  );
}

async function checkWeb(dir) {
  const label = `web (${dir})`;
  const { bytes, imports, exports } = wasmImports(dir);
  checkShortImports(label, imports);
  checkShortExports(label, exports);

  // Record the imports object the glue hands to the engine.
  const RealInstance = WebAssembly.Instance;
  let given;
  WebAssembly.Instance = function Instance(module, importObject) {
    given = importObject;
    return new RealInstance(module, importObject);
  };
  let glue;
  try {
    glue = await import(pathToFileURL(join(dir, `${name}.js`)).href);
    glue.initSync({ module: bytes });
    check(true, `${label}: initSync({ module }) links and starts the module`);
  } catch (err) {
    check(false, `${label}: initSync({ module }) links and starts the module`, err?.stack ?? String(err));
    return;
  } finally {
    WebAssembly.Instance = RealInstance;
  }

  const missing = imports.filter((i) => typeof given?.[i.module]?.[i.name] !== (i.kind === 'function' ? 'function' : 'object'));
  check(missing.length === 0, `${label}: all ${imports.length} imports of the .wasm are provided`, missing.map((i) => `${i.module}/${i.name}`).join(', '));
  const wanted = new Set(imports.map((i) => `${i.module}/${i.name}`));
  const extra = Object.entries(given ?? {}).flatMap(([m, o]) => Object.keys(o).map((k) => `${m}/${k}`)).filter((k) => !wanted.has(k));
  check(extra.length === 0, `${label}: the glue provides nothing the .wasm does not import`, extra.join(', '));
  check(typeof glue.default === 'function' && typeof glue.SessionKeeper === 'function', `${label}: exports default (init), initSync and SessionKeeper`);
  checkBadOption(label, glue.SessionKeeper);
  checkOptionNames(label, glue.SessionKeeper, dir);
  checkReadmeOptions(label, dir);
}

// Runs in a child process started with --experimental-wasm-modules.
async function checkBundler(dir) {
  const label = `bundler (${dir})`;
  const { imports, exports } = wasmImports(dir);
  checkShortExports(label, exports);
  const bg = await import(pathToFileURL(join(dir, `${name}_bg.js`)).href);
  const missing = imports.filter((i) => i.module !== glueModule || typeof bg[i.name] !== 'function');
  check(missing.length === 0, `${label}: ${name}_bg.js exports a function for each of the ${imports.length} imports of the .wasm`, missing.map((i) => `${i.module}/${i.name}`).join(', '));
  let entry;
  try {
    entry = await import(pathToFileURL(join(dir, `${name}.js`)).href);
    check(true, `${label}: importing ${name}.js links the .wasm and runs __wbindgen_start`);
  } catch (err) {
    check(false, `${label}: importing ${name}.js links the .wasm and runs __wbindgen_start`, err?.stack ?? String(err));
    return;
  }
  checkBadOption(label, entry.SessionKeeper);
}

const args = process.argv.slice(2);
if (args[0] === '--bundler-child') {
  await checkBundler(args[1]);
} else {
  const web = resolve(args[0] ?? join(root, 'pkg'));
  const bundler = resolve(args[1] ?? join(root, 'pkg-bundler'));
  await checkWeb(web);
  const child = spawnSync(
    process.execPath,
    ['--experimental-wasm-modules', '--disable-warning=ExperimentalWarning', fileURLToPath(import.meta.url), '--bundler-child', bundler],
    { stdio: 'inherit' },
  );
  if (child.status !== 0) failures++;
}
if (failures) {
  console.error(`link-check: ${failures} check(s) failed`);
  process.exit(1);
}
