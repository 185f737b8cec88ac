// A minimal React app on the built package, the way an app would use it:
// `keep-session-alive` is a file: dependency of tests/e2e (the built pkg/),
// resolved through its package.json exports. The package's react.js
// imports `react`, which a linked package must take from this app (dedupe).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  resolve: { dedupe: ['react', 'react-dom'] },
  build: { sourcemap: false, reportCompressedSize: false },
  logLevel: 'warn',
});
