/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The gateway serves `dist/` (CM_WEB_DIR) under a strict Content-Security-Policy: no inline
// scripts or styles, same-origin only. Vite's build emits external module scripts only; assets
// are never inlined as data: URLs so nothing depends on `data:` beyond images.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: false,
    modulePreload: { polyfill: false },
  },
  server: {
    // `npm run dev` against a running `codex-manager up` (CM_API, default port 8787).
    proxy: { '/api': { target: process.env.CM_API || 'http://127.0.0.1:8787', changeOrigin: false } },
  },
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
  },
});
