#!/usr/bin/env node
// Post-processes one wasm-pack output directory (release builds only; run by
// scripts/build-pkg after wasm-pack, before the package.json merge):
//
//   1. Shortens the wasm's import names. wasm-bindgen names every import from
//      the JS glue `__wbg_<name>_<16 hex hash>` (and its intrinsics
//      `__wbindgen_<name>`), and each long name is stored twice: in the .wasm
//      import section and in the glue. They become short identifiers (a, b, …,
//      ba, …) in both places. Only the field names of imports from the glue
//      module ("wbg" for web, ./NAME_bg.js for bundler) change.
//   2. Shortens the wasm's export names (all but `memory`): the glue reads them
//      only as `wasm.<name>`, and the .d.ts files that list them follow.
//      Every other section of the .wasm stays byte-identical.
//   3. Minifies the JS glue with esbuild (its export names, and so the public
//      API, stay as they are).
//
//   node scripts/lib/shrink-pkg.mjs DIR TARGET NAME
//     DIR     the wasm-pack --out-dir (pkg/ or pkg-bundler/)
//     TARGET  web | bundler (where the glue keeps the imports differs)
//     NAME    the --out-name (keep_session_alive)
//
// Every old import name must be found exactly once, exactly where the
// target's glue declares it, and every export name only as `wasm.<name>`;
// anything else stops the build. A silent mismatch would only
// show up as a LinkError when a user instantiates the module.
import { readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const [dir, target, name] = process.argv.slice(2);
if (!dir || !['web', 'bundler'].includes(target) || !name) {
  console.error('usage: node scripts/lib/shrink-pkg.mjs DIR web|bundler NAME');
  process.exit(2);
}

function fail(message) {
  console.error(`shrink-pkg: ${message}`);
  process.exit(1);
}

// ---------------------------------------------------------------- wasm bytes

function readU32(bytes, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= bytes.length) throw new Error('LEB128 runs past the end of the module');
    const b = bytes[pos++];
    value += (b & 0x7f) * 2 ** shift;
    if (!(b & 0x80)) return { value, pos };
    shift += 7;
    if (shift > 35) throw new Error('LEB128 longer than 5 bytes');
  }
}

// Skips a signed LEB128 (a heap type index); only its length matters here.
function skipLeb(bytes, pos) {
  while (bytes[pos++] & 0x80) if (pos >= bytes.length) throw new Error('LEB128 runs past the end of the module');
  return pos;
}

function u32(value) {
  const out = [];
  do {
    let b = value & 0x7f;
    value = Math.floor(value / 128);
    if (value) b |= 0x80;
    out.push(b);
  } while (value);
  return Buffer.from(out);
}

function vecBytes(buf) {
  return Buffer.concat([u32(buf.length), buf]);
}

// A value or reference type: one byte, or 0x63/0x64 (ref null ht / ref ht) plus a heap type.
function skipValType(bytes, pos) {
  const t = bytes[pos++];
  return t === 0x63 || t === 0x64 ? skipLeb(bytes, pos) : pos;
}

// limits: flags, min, max if flags & 1; page-size exponent if flags & 8 (custom page sizes).
function skipLimits(bytes, pos) {
  const flags = bytes[pos++];
  pos = readU32(bytes, pos).pos;
  if (flags & 0x01) pos = readU32(bytes, pos).pos;
  if (flags & 0x08) pos = readU32(bytes, pos).pos;
  return pos;
}

// Returns where an import's description (after the kind byte) ends; the bytes are copied through.
function skipImportDesc(bytes, kind, pos) {
  switch (kind) {
    case 0x00: return readU32(bytes, pos).pos; // func: type index
    case 0x01: return skipLimits(bytes, skipValType(bytes, pos)); // table: reftype, limits
    case 0x02: return skipLimits(bytes, pos); // memory: limits
    case 0x03: return skipValType(bytes, pos) + 1; // global: valtype, mutability
    case 0x04: return readU32(bytes, pos + 1).pos; // tag: attribute, type index
    default: throw new Error(`unknown import kind 0x${kind.toString(16)}`);
  }
}

/** Splits a module into its sections: { id, start, end, payloadStart } (end exclusive). */
function sections(bytes) {
  const magic = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  if (bytes.length < 8 || !bytes.subarray(0, 8).equals(magic)) throw new Error('not a wasm module (version 1)');
  const out = [];
  let pos = 8;
  while (pos < bytes.length) {
    const start = pos;
    const id = bytes[pos++];
    const size = readU32(bytes, pos);
    const end = size.pos + size.value;
    if (end > bytes.length) throw new Error(`section ${id} runs past the end of the module`);
    out.push({ id, start, end, payloadStart: size.pos });
    pos = end;
  }
  return out;
}

/** The entries of an import section payload: { module, field, kind, desc } (desc: raw bytes). */
function parseImports(bytes, start, end) {
  const text = new TextDecoder('utf-8', { fatal: true });
  const count = readU32(bytes, start);
  let pos = count.pos;
  const entries = [];
  const str = () => {
    const len = readU32(bytes, pos);
    const s = text.decode(bytes.subarray(len.pos, len.pos + len.value));
    pos = len.pos + len.value;
    return s;
  };
  for (let i = 0; i < count.value; i++) {
    const module = str();
    const field = str();
    const kind = bytes[pos++];
    if (field === '' && (kind === 0x7e || kind === 0x7f)) throw new Error('the compact import section encoding is not supported');
    const descStart = pos;
    pos = skipImportDesc(bytes, kind, pos);
    entries.push({ module, field, kind, desc: bytes.subarray(descStart, pos) });
  }
  if (pos !== end) throw new Error(`import section: parsed ${pos - start} of ${end - start} bytes`);
  return entries;
}

/** The entries of an export section payload: { name, kind, index }. */
function parseExports(bytes, start, end) {
  const text = new TextDecoder('utf-8', { fatal: true });
  const count = readU32(bytes, start);
  let pos = count.pos;
  const entries = [];
  for (let i = 0; i < count.value; i++) {
    const len = readU32(bytes, pos);
    const name = text.decode(bytes.subarray(len.pos, len.pos + len.value));
    const kind = bytes[len.pos + len.value];
    const index = readU32(bytes, len.pos + len.value + 1);
    entries.push({ name, kind, index: index.value });
    pos = index.pos;
  }
  if (pos !== end) throw new Error(`export section: parsed ${pos - start} of ${end - start} bytes`);
  return entries;
}

function encodeExports(entries) {
  const parts = [u32(entries.length)];
  for (const e of entries) parts.push(vecBytes(Buffer.from(e.name, 'utf8')), Buffer.from([e.kind]), u32(e.index));
  const payload = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([7]), u32(payload.length), payload]);
}

function encodeImports(entries) {
  const parts = [u32(entries.length)];
  for (const e of entries) {
    parts.push(vecBytes(Buffer.from(e.module, 'utf8')), vecBytes(Buffer.from(e.field, 'utf8')), Buffer.from([e.kind]), e.desc);
  }
  const payload = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([2]), u32(payload.length), payload]);
}

// ---------------------------------------------------------------- new names

// Words that cannot name a function declaration in a module (the bundler glue
// declares `export function <name>`), plus globals best left unshadowed.
const RESERVED = new Set(
  `await break case catch class const continue debugger default delete do else enum export extends false finally
   for function if implements import in instanceof interface let new null package private protected public return
   static super switch this throw true try typeof var void while with yield async of get set as from eval arguments
   undefined NaN Infinity`.split(/\s+/),
);

// a … z, A … Z, then aa, ab, … (letters first, letters or digits after).
function* identifiers() {
  const first = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const rest = first + '0123456789';
  for (let len = 1; ; len++) {
    const idx = new Array(len).fill(0);
    for (;;) {
      yield [...idx].map((n, i) => (i === 0 ? first : rest)[n]).join('');
      let i = len - 1;
      while (i >= 0 && ++idx[i] === (i === 0 ? first : rest).length) idx[i--] = 0;
      if (i < 0) break;
    }
  }
}

const escape = (s) => s.replace(/[$]/g, '\\$');
const tokenRe = (s) => new RegExp(`(?<![\\w$])${escape(s)}(?![\\w$])`, 'g');

// ---------------------------------------------------------------- the glue

// The module the wasm imports the glue from (wasm-bindgen 0.2.100).
const glueModule = target === 'web' ? 'wbg' : `./${name}_bg.js`;
const wasmPath = join(dir, `${name}_bg.wasm`);
const gluePath = join(dir, target === 'web' ? `${name}.js` : `${name}_bg.js`);

function jsFiles(d) {
  const out = [];
  for (const f of readdirSync(d)) {
    const p = join(d, f);
    if (statSync(p).isDirectory()) out.push(...jsFiles(p));
    else if (/\.(m?js|d\.ts)$/.test(f)) out.push(p);
  }
  return out;
}

const wasmBytes = readFileSync(wasmPath);
const secs = sections(wasmBytes);
const importSecs = secs.filter((s) => s.id === 2);
if (importSecs.length !== 1) fail(`${wasmPath}: expected one import section, found ${importSecs.length}`);
const importSec = importSecs[0];
const imports = parseImports(wasmBytes, importSec.payloadStart, importSec.end);
const ours = imports.filter((e) => e.module === glueModule);
if (ours.length === 0) fail(`${wasmPath}: no imports from ${glueModule}; nothing to rename`);
if (ours.every((e) => e.field.length <= 3)) fail(`${wasmPath}: its imports have short names already (was it shrunk already? rebuild with wasm-pack)`);
const oldNames = ours.map((e) => e.field);
if (new Set(oldNames).size !== oldNames.length) fail(`${wasmPath}: duplicate import names from ${glueModule}`);

let glue = readFileSync(gluePath, 'utf8');
// Every JS and .d.ts file of the package: a new name must not occur in any of them.
const others = jsFiles(dir).filter((p) => p !== gluePath);
const allText = [glue, ...others.map((p) => readFileSync(p, 'utf8'))].join('\n');

// Old names appear nowhere but in the glue (a .d.ts or the bundler entry
// naming one would be left pointing at nothing).
for (const p of others) {
  const text = readFileSync(p, 'utf8');
  for (const old of oldNames) if (tokenRe(old).test(text)) fail(`${relative(dir, p)} mentions import ${old}; only ${relative(dir, gluePath)} may`);
}

const mapping = new Map();
{
  const gen = identifiers();
  for (const old of oldNames) {
    let candidate;
    do candidate = gen.next().value;
    while (RESERVED.has(candidate) || tokenRe(candidate).test(allText) || oldNames.includes(candidate));
    mapping.set(old, candidate);
  }
}

// Where the target's glue declares each import (wasm-bindgen 0.2.100):
//   web:     a property of imports.wbg, set in __wbg_get_imports()
//              imports.wbg = {};
//              imports.wbg.__wbg_abort_775ef1d17fc65868 = function(arg0) { … };
//              …
//              return imports;
//   bundler: an exported function of NAME_bg.js
//              export function __wbg_abort_775ef1d17fc65868(arg0) { … }
function declarationRe(old) {
  return target === 'web'
    ? new RegExp(`^([ \\t]+imports\\.wbg\\.)${escape(old)}( = function\\b)`, 'gm')
    : new RegExp(`^(export function )${escape(old)}(\\()`, 'gm');
}

let region = [0, glue.length];
if (target === 'web') {
  const objStart = glue.indexOf('imports.wbg = {};');
  const objEnd = glue.indexOf('return imports;', objStart);
  if (objStart < 0 || objEnd < objStart || glue.indexOf('imports.wbg = {};', objStart + 1) >= 0) {
    fail(`${gluePath}: did not find one \`imports.wbg = {};\` … \`return imports;\` in __wbg_get_imports()`);
  }
  region = [objStart, objEnd];
}

const problems = [];
for (const [old, short] of mapping) {
  const tokens = [...glue.matchAll(tokenRe(old))];
  const decls = [...glue.matchAll(declarationRe(old))];
  const declPos = decls.length === 1 ? decls[0].index + decls[0][1].length : -1;
  if (tokens.length !== 1 || decls.length !== 1 || tokens[0].index !== declPos || declPos < region[0] || declPos > region[1]) {
    problems.push(`${old}: ${tokens.length} occurrence(s), ${decls.length} declaration(s) of the expected form`);
    continue;
  }
  glue = glue.replace(declarationRe(old), (_m, before, after) => `${before}${short}${after}`);
}
if (problems.length) {
  fail(`${gluePath}: the ${target} glue does not declare the wasm imports the way this script expects ` +
    `(wasm-bindgen changed its output?):\n  ${problems.join('\n  ')}`);
}

// ---------------------------------------------------------------- export names

// The module's exports (sessionkeeper_new, closure3_externref_shim,
// __wbindgen_malloc, …) are read by the glue only as `wasm.<name>` and listed
// in the .d.ts files; they get short names too. `memory` keeps its name (it is
// part of init()'s typed result).
const exportSecs = secs.filter((s) => s.id === 7);
if (exportSecs.length !== 1) fail(`${wasmPath}: expected one export section, found ${exportSecs.length}`);
const exportSec = exportSecs[0];
const exportsList = parseExports(wasmBytes, exportSec.payloadStart, exportSec.end);
const exportMapping = new Map();
{
  const taken = new Set([...mapping.values(), ...exportsList.map((e) => e.name)]);
  const gen = identifiers();
  for (const e of exportsList) {
    if (e.name === 'memory') continue;
    let candidate;
    do candidate = gen.next().value;
    while (RESERVED.has(candidate) || taken.has(candidate) || tokenRe(candidate).test(allText));
    taken.add(candidate);
    exportMapping.set(e.name, candidate);
  }
}

// Every JS file of the package that talks to the module: the glue, and for
// bundler also the entry that calls wasm.__wbindgen_start().
const entryPath = join(dir, `${name}.js`);
const jsTexts = new Map([[gluePath, glue]]);
if (target === 'bundler') jsTexts.set(entryPath, readFileSync(entryPath, 'utf8'));
// The .d.ts lines that declare each export.
const dtsForms = [[join(dir, `${name}_bg.wasm.d.ts`), 'export const ']];
if (target === 'web') dtsForms.push([join(dir, `${name}.d.ts`), '  readonly ']);
const dtsTexts = new Map(dtsForms.map(([p]) => [p, readFileSync(p, 'utf8')]));
{
  const problems = [];
  for (const [old, short] of exportMapping) {
    let uses = 0;
    for (const [p, text] of jsTexts) {
      const re = new RegExp(`(?<![\\w$])wasm\\.${escape(old)}(?![\\w$])`, 'g');
      uses += (text.match(re) ?? []).length;
      const replaced = text.replace(re, `wasm.${short}`);
      if (tokenRe(old).test(replaced)) problems.push(`${relative(dir, p)} names export ${old} other than as wasm.${old}`);
      jsTexts.set(p, replaced);
    }
    if (uses === 0) problems.push(`no JS file reads export ${old} as wasm.${old}`);
    for (const [p, prefix] of dtsForms) {
      const re = new RegExp(`^${escape(prefix)}${escape(old)}:`, 'gm');
      const text = dtsTexts.get(p);
      const found = (text.match(re) ?? []).length;
      if (found !== 1) problems.push(`${relative(dir, p)} declares export ${old} ${found} times`);
      dtsTexts.set(p, text.replace(re, `${prefix}${short}:`));
    }
  }
  if (problems.length) fail(`the ${target} glue does not use the exports the way this script expects:\n  ${problems.join('\n  ')}`);
  glue = jsTexts.get(gluePath);
}

// ---------------------------------------------------------------- write the wasm

const renamed = imports.map((e) => (e.module === glueModule ? { ...e, field: mapping.get(e.field) } : e));
const renamedExports = exportsList.map((e) => ({ ...e, name: exportMapping.get(e.name) ?? e.name }));
if (importSec.start > exportSec.start) fail(`${wasmPath}: the import section comes after the export section`);
const newWasm = Buffer.concat([
  wasmBytes.subarray(0, importSec.start),
  encodeImports(renamed),
  wasmBytes.subarray(importSec.end, exportSec.start),
  encodeExports(renamedExports),
  wasmBytes.subarray(exportSec.end),
]);

// Re-read what was written: the same imports and exports in the same order
// (new names), every other section byte-identical, and a module the engine accepts.
{
  const again = sections(newWasm);
  if (again.length !== secs.length) fail('rewritten module has a different number of sections');
  again.forEach((s, i) => {
    const o = secs[i];
    if (s.id !== o.id) fail(`rewritten module: section ${i} is ${s.id}, was ${o.id}`);
    if (s.id !== 2 && s.id !== 7 && !newWasm.subarray(s.start, s.end).equals(wasmBytes.subarray(o.start, o.end))) fail(`rewritten module: section ${i} (id ${s.id}) changed`);
  });
  const back = parseImports(newWasm, again.find((s) => s.id === 2).payloadStart, again.find((s) => s.id === 2).end);
  back.forEach((e, i) => {
    const o = renamed[i];
    if (e.module !== o.module || e.field !== o.field || e.kind !== o.kind || !Buffer.from(e.desc).equals(Buffer.from(o.desc))) {
      fail(`rewritten module: import ${i} reads back as ${e.module}/${e.field}, expected ${o.module}/${o.field}`);
    }
  });
  const exportsBack = parseExports(newWasm, again.find((s) => s.id === 7).payloadStart, again.find((s) => s.id === 7).end);
  exportsBack.forEach((e, i) => {
    const o = renamedExports[i];
    if (e.name !== o.name || e.kind !== o.kind || e.index !== o.index) fail(`rewritten module: export ${i} reads back as ${e.name}, expected ${o.name}`);
  });
  if (!WebAssembly.validate(newWasm)) fail('rewritten module does not validate');
}

// ---------------------------------------------------------------- minify the glue

// Loaded here so that a missing node_modules is reported as such.
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
const minified = await minify(gluePath, glue);
const declared = await exportNames(minified);
if (target === 'bundler') {
  const missing = [...mapping.values()].filter((n) => !declared.includes(n));
  if (missing.length) fail(`${gluePath}: minified glue does not export ${missing.join(', ')}`);
} else {
  const missing = [...mapping.values()].filter((n) => !new RegExp(`\\.wbg\\.${escape(n)}=`).test(minified));
  if (missing.length) fail(`${gluePath}: minified glue has no import key ${missing.join(', ')}`);
}

writeFileSync(wasmPath, newWasm);
writeFileSync(gluePath, minified);
if (target === 'bundler') writeFileSync(entryPath, jsTexts.get(entryPath));
for (const [p, text] of dtsTexts) writeFileSync(p, text);
console.log(
  `shrink-pkg: ${relative(process.cwd(), dir) || dir} (${target}): ${mapping.size} imports and ${exportMapping.size} exports renamed; ` +
    `${relative(dir, wasmPath)} ${wasmBytes.length} -> ${newWasm.length} bytes, ` +
    `${relative(dir, gluePath)} ${glueIn} -> ${minified.length} bytes`,
);
