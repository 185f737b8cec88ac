#!/usr/bin/env node
// Post-processes one wasm-pack output directory (release builds only; run by
// scripts/build-pkg after wasm-pack, before the package.json merge):
//
//   1. Binaryen renames the wasm's export names (and, for the web target, its
//      import names and their module) to short ones and prints the mapping:
//      web:     wasm-opt --minify-imports-and-exports-and-modules
//      bundler: wasm-opt --minify-imports-and-exports (the import module must
//               stay ./NAME_bg.js: the bundler resolves it as a file, and
//               Binaryen minifies import names only together with modules)
//   2. This script applies the mapping to the JS glue and the .d.ts files:
//      an import is a key of the glue's imports object, an export is read as
//      `wasm.<name>`, and each .d.ts line declaring an export follows.
//   3. esbuild minifies the glue (its export names, the public API, stay).
//
//   node scripts/lib/shrink-pkg.mjs DIR TARGET NAME
//     DIR     the wasm-pack --out-dir (pkg/ or pkg-bundler/)
//     TARGET  web | bundler
//     NAME    the --out-name (keep_session_alive)
//
// Every renamed name must be found exactly where the glue uses it, and
// nowhere else; anything unexpected stops the build: a silent mismatch would
// only show up as a LinkError when a user instantiates the module.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';

const [dir, target, name] = process.argv.slice(2);
if (!dir || !['web', 'bundler'].includes(target) || !name) {
  console.error('usage: node scripts/lib/shrink-pkg.mjs DIR web|bundler NAME');
  process.exit(2);
}

function fail(message) {
  console.error(`shrink-pkg: ${message}`);
  process.exit(1);
}

const escape = (s) => s.replace(/[$]/g, '\\$');
const tokenRe = (s) => new RegExp(`(?<![\\w$])${escape(s)}(?![\\w$])`, 'g');
const count = (text, re) => (text.match(re) ?? []).length;

const wasmPath = join(dir, `${name}_bg.wasm`);
const gluePath = join(dir, target === 'web' ? `${name}.js` : `${name}_bg.js`);
const entryPath = join(dir, `${name}.js`);
const wasmIn = readFileSync(wasmPath);
const glueModule = `./${name}_bg.js`;

// ---------------------------------------------------------------- 1. wasm-opt

const work = mkdtempSync(join(tmpdir(), 'shrink-pkg-'));
const wasmOut = join(work, 'out.wasm');
const pass = target === 'web' ? '--minify-imports-and-exports-and-modules' : '--minify-imports-and-exports';
let mapping;
try {
  // The features rustc emits for wasm32, named: wasm-pack's wasm-opt run
  // stripped the target-features section, and -all would write a type
  // section in the GC encoding that browsers before 2024 reject.
  const features = ['bulk-memory', 'nontrapping-float-to-int', 'sign-ext', 'mutable-globals', 'reference-types', 'multivalue'].map((f) => `--enable-${f}`);
  const printed = execFileSync('wasm-opt', [wasmPath, ...features, pass, '-o', wasmOut], { encoding: 'utf8' });
  mapping = JSON.parse(printed);
} catch (err) {
  fail(`wasm-opt ${pass} failed or printed no mapping: ${err.message}`);
}
const wasmOutBytes = readFileSync(wasmOut);
rmSync(work, { recursive: true });
if (!WebAssembly.validate(wasmOutBytes)) fail('the renamed module does not validate');
const renamedModule = new WebAssembly.Module(wasmOutBytes);

// [module, old, new] for imports, [old, new] for exports.
const importMap = new Map(mapping.imports.filter(([m]) => m === glueModule).map(([, old, short]) => [old, short]));
const exportMap = new Map(mapping.exports);
if (mapping.imports.length !== importMap.size) fail(`imports from modules other than ${glueModule}: not handled here`);
if (target === 'bundler' && importMap.size) fail('bundler: wasm-opt renamed imports; their module would no longer resolve');
const newModules = [...new Set(WebAssembly.Module.imports(renamedModule).map((i) => i.module))];

// ---------------------------------------------------------------- 2. the glue and the .d.ts files

const js = new Map([[gluePath, readFileSync(gluePath, 'utf8')]]);
if (target === 'bundler') js.set(entryPath, readFileSync(entryPath, 'utf8'));
// The .d.ts lines that declare an export: `export const <name>:` in
// NAME_bg.wasm.d.ts, `readonly <name>:` in the web target's InitOutput.
const dtsForms = [[join(dir, `${name}_bg.wasm.d.ts`), 'export const ']];
if (target === 'web') dtsForms.push([join(dir, `${name}.d.ts`), '\\s+readonly ']);
const dts = new Map(dtsForms.map(([p]) => [p, readFileSync(p, 'utf8')]));
const problems = [];

if (target === 'web') {
  // The imports object: `"./NAME_bg.js": import0`, whose keys are `<old>: function`.
  if (newModules.length !== 1) fail(`expected one import module after renaming, got ${newModules.join(', ')}`);
  let glue = js.get(gluePath);
  const moduleKey = `${JSON.stringify(glueModule)}: import0`;
  if (count(glue, new RegExp(escape(moduleKey).replace(/[.]/g, '\\.'), 'g')) !== 1) problems.push(`the glue has no single \`${moduleKey}\``);
  glue = glue.replace(moduleKey, `${JSON.stringify(newModules[0])}: import0`);
  for (const [old, short] of importMap) {
    const key = new RegExp(`(?<![\\w$])${escape(old)}(?=: function)`, 'g');
    if (count(glue, key) !== 1) problems.push(`import ${old} is not a key of the imports object exactly once`);
    glue = glue.replace(key, short);
    if (tokenRe(old).test(glue)) problems.push(`the glue names import ${old} elsewhere`);
  }
  js.set(gluePath, glue);
}

// (The glue's JS wrappers of closures share their export's name; they are
// local functions, which esbuild renames anyway.)
for (const [old, short] of exportMap) {
  for (const [p, text] of js) {
    js.set(p, text.replace(new RegExp(`(?<![\\w$])wasm\\.${escape(old)}(?![\\w$])`, 'g'), `wasm.${short}`));
  }
  // wasm-bindgen's runtime exports a few names no .d.ts declares (__abort_handler).
  for (const [p, prefix] of dtsForms) {
    const re = new RegExp(`^(${prefix})${escape(old)}:`, 'gm');
    const text = dts.get(p);
    if (count(text, re) > 1) problems.push(`${relative(dir, p)} declares export ${old} more than once`);
    dts.set(p, text.replace(re, `$1${short}:`));
  }
}
// What the glue reads must be what the module now exports.
const exported = new Set(WebAssembly.Module.exports(renamedModule).map((e) => e.name));
for (const [p, text] of js) {
  for (const [, used] of text.matchAll(/(?<![\w$])wasm\.([\w$]+)/g)) {
    if (!exported.has(used)) problems.push(`${relative(dir, p)} reads wasm.${used}, which the module does not export`);
  }
}
if (problems.length) fail(`the ${target} glue does not match the renamed module:\n  ${[...new Set(problems)].join('\n  ')}`);

// ---------------------------------------------------------------- 3. minify the glue

let esbuild;
try {
  esbuild = await import('esbuild');
} catch (err) {
  fail(`esbuild is not installed (run npm ci in the repository root): ${err.message}`);
}

// The export names of a module (the public API; for bundler, what the wasm imports).
async function exportNames(code) {
  const r = await esbuild.build({ stdin: { contents: code, loader: 'js' }, write: false, metafile: true, bundle: false, logLevel: 'silent' });
  return Object.values(r.metafile.outputs)[0].exports.slice().sort();
}

async function minify(path, code) {
  // wasm-pack puts `/* @ts-self-types="./NAME.d.ts" */` first: Deno reads it
  // to find the types of a .js imported directly. Everything else (JSDoc)
  // is covered by the .d.ts files.
  const selfTypes = code.match(/^\/\* @ts-self-types="[^"\n]*" \*\//);
  // No `format`: esbuild keeps ES module syntax as it is, renames only what
  // is not exported, and leaves `export class SessionKeeper` a class named
  // SessionKeeper. es2021: no syntax newer than the wasm's own baseline
  // (reference types) already needs.
  const r = await esbuild.transform(code, {
    minify: true,
    target: 'es2021',
    sourcefile: relative(dir, path),
    banner: selfTypes ? selfTypes[0] : undefined,
    logLevel: 'silent',
  });
  if (r.warnings.length) fail(`esbuild warned about ${path}:\n${r.warnings.map((w) => w.text).join('\n')}`);
  const before = await exportNames(code);
  const after = await exportNames(r.code);
  if (before.join() !== after.join()) fail(`${path}: exports changed by minification: ${before} -> ${after}`);
  return r.code;
}

const glueIn = readFileSync(gluePath, 'utf8').length;
const minified = await minify(gluePath, js.get(gluePath));

writeFileSync(wasmPath, wasmOutBytes);
writeFileSync(gluePath, minified);
if (target === 'bundler') writeFileSync(entryPath, js.get(entryPath));
for (const [p, text] of dts) writeFileSync(p, text);
console.log(
  `shrink-pkg: ${relative(process.cwd(), dir) || dir} (${target}): ${importMap.size} imports and ${exportMap.size} exports renamed; ` +
    `${relative(dir, wasmPath)} ${wasmIn.length} -> ${wasmOutBytes.length} bytes, ` +
    `${relative(dir, gluePath)} ${glueIn} -> ${minified.length} bytes`,
);
