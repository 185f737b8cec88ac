// One way of bundling for every library measured, so their sizes compare:
// esbuild --bundle --minify --format=esm for the browser, production
// defines, framework packages left to the app (external).
import { build } from 'esbuild';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { benchDir, outDir } from './harness.mjs';

/** Frameworks an app already ships; their size is not the library's. */
export const frameworkExternals = ['react', 'react-dom', 'react/*', 'react-dom/*', '@angular/*', 'rxjs', 'rxjs/*'];

/** gzip -9 and brotli -11 sizes of some bytes, both from node:zlib. */
export function compressedSizes(bytes) {
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
    }).length,
  };
}

/**
 * Bundles `source` (module text, resolved from bench/) or the file `entry`
 * (relative to bench/) into bench/.out/<outFile> and returns its path and
 * sizes. `standalone`: a page's script, frameworks included, for running
 * rather than measuring.
 */
export async function bundle({ source, entry, outFile, standalone = false }) {
  const result = await build({
    ...(entry ? { entryPoints: [join(benchDir, entry)] } : { stdin: { contents: source, resolveDir: benchDir, loader: 'js' } }),
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    external: standalone ? [] : frameworkExternals,
    define: { 'process.env.NODE_ENV': '"production"' },
    legalComments: 'none',
    logLevel: 'error',
    write: false,
  });
  const bytes = Buffer.from(result.outputFiles[0].contents);
  const file = join(outDir, outFile);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, bytes);
  return { file, ...compressedSizes(bytes) };
}

export async function fileSizes(path) {
  return compressedSizes(await readFile(path));
}
