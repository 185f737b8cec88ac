// A minimal Vue app on the built package, the way an app would use it:
// `keep-session-alive` is this folder's file: dependency (the built pkg/),
// resolved through its package.json exports; KSA_APP_PKG, a directory,
// replaces it (the test builds on pkg-bundler/ that way). The package's
// vue.js imports `vue`, which a linked package must take from this app (dedupe).
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

const pkg = process.env.KSA_APP_PKG;

export default defineConfig({
  plugins: [vue()],
  resolve: { dedupe: ['vue'], alias: pkg ? { 'keep-session-alive': pkg } : {} },
  build: { sourcemap: false, reportCompressedSize: false },
  logLevel: 'warn',
});
