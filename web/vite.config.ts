// Builds the dashboard into dist/web, which `gearhq serve` serves at / on the HTTP port.
// Everything (code, styles, the uPlot library) is bundled: the page makes no external requests.
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [preact()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    assetsInlineLimit: 8192,
    sourcemap: false,
  },
  // `vite dev` proxies the API to a running server on the default HTTP port.
  server: { proxy: { '/api': 'http://127.0.0.1:4731', '/metrics': 'http://127.0.0.1:4731' } },
});
