// Merges pkg-template/package.json into the package.json wasm-pack generated
// for one target (called by scripts/build-pkg once per built package).
//
// Usage: node scripts/lib/merge-package-json.mjs TEMPLATE GENERATED TARGET NAME
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const [templatePath, generatedPath, target, name] = process.argv.slice(2);
const template = JSON.parse(readFileSync(templatePath, 'utf8'));
const generated = JSON.parse(readFileSync(generatedPath, 'utf8'));
const dir = dirname(generatedPath);

// File names come from what wasm-pack generated, so a change of --out-name or
// target cannot leave the exports pointing at files that are not there.
const main = generated.main ?? generated.module ?? `${name}.js`;
const types = generated.types ?? generated.typings ?? `${name}.d.ts`;
const wasm = `${name}_bg.wasm`;
for (const f of [main, types, wasm]) {
  if (!existsSync(join(dir, f))) throw new Error(`build-pkg: ${join(dir, f)} is missing after wasm-pack`);
}

// Bundler target: the entry module runs code at import time (it imports the
// .wasm, hands it to *_bg.js and calls __wbindgen_start), so it, the glue and
// the .wasm must never be tree-shaken away. Web target: nothing runs until
// init() is called and the .wasm is fetched via new URL(…, import.meta.url),
// which sideEffects does not affect; only inline-JS snippets stay listed.
const sideEffects =
  target === 'bundler'
    ? [...new Set([`./${main}`, `./${name}_bg.js`, `./${wasm}`, ...(generated.sideEffects ?? []), './snippets/*'])]
    : template.sideEffects ?? generated.sideEffects;

// The template's subpaths, with "." and the .wasm pointed at this target's
// files. "." keeps the template's conditions (server.js where there is no
// browser), each naming the glue or the types as the template spells them.
const dot = Object.fromEntries(
  Object.entries(template.exports?.['.'] ?? {}).map(([condition, file]) => [
    condition,
    condition === 'types' ? `./${types}` : file === `./${name}.js` ? `./${main}` : file,
  ]),
);
const exports = {
  ...template.exports,
  '.': { ...dot, types: `./${types}`, default: `./${main}` },
  [`./${wasm}`]: `./${wasm}`,
};
// Each file is wasm-pack's or one build-pkg copies from the template's folder.
for (const [condition, file] of Object.entries(exports['.'])) {
  if (!existsSync(join(dir, file)) && !existsSync(join(dirname(templatePath), file))) {
    throw new Error(`build-pkg: exports["."]["${condition}"] names ${file}, which neither ${dir} nor the template has`);
  }
}

// Keep wasm-pack's files list (it knows what it generated) and its version
// (from Cargo.toml); everything descriptive comes from the template.
const files = [...new Set([...(generated.files ?? []), ...(template.files ?? [])])];
if (existsSync(join(dir, 'snippets')) && !files.includes('snippets/')) files.push('snippets/');

const merged = {
  name: template.name ?? generated.name,
  version: generated.version,
  description: template.description ?? generated.description,
  keywords: template.keywords ?? generated.keywords,
  license: template.license ?? generated.license,
  repository: template.repository ?? generated.repository,
  homepage: template.homepage ?? generated.homepage,
  bugs: template.bugs,
  type: 'module',
  files,
  main,
  module: main,
  types,
  exports,
  imports: template.imports,
  sideEffects,
};
// Any other field the template adds (engines, funding, publishConfig, …).
for (const [k, v] of Object.entries(template)) if (!(k in merged)) merged[k] = v;
for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];

writeFileSync(generatedPath, JSON.stringify(merged, null, 2) + '\n');
