// Where things are, from the repository root. KSA_PKG_DIR overrides the
// package the suite loads (default pkg/, the web target).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const e2eDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const root = resolve(e2eDir, '../..');
export const pkgDir = resolve(process.env.KSA_PKG_DIR ?? join(root, 'pkg'));
export const wwwDir = join(e2eDir, 'www');
export const outDir = join(e2eDir, 'out');
