// Builds the browser client (client/) into dist/client, which the lab server serves.
// `npx vite` runs a dev server that forwards the API and the terminal sockets to a lab
// started on port 8080 (`npm run serve -- --port 8080`).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const LAB = '127.0.0.1:8080';

export default defineConfig({
  // client/, wherever the build is started from (the browser test builds from its own process).
  root: fileURLToPath(new URL('./client', import.meta.url)),
  base: '/',
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    // dist/client/.vite/manifest.json: the chunk graph `npm run bench` weighs pages by.
    manifest: true,
    // Monaco is one big lazily loaded chunk by design; the warning would only be noise.
    chunkSizeWarningLimit: 4096,
    rolldownOptions: {
      // common/protocol.ts builds the server's TypeBox request schemas at module level; the page
      // only needs its FLOW constants. Declaring the schema builders pure lets the bundler drop
      // the unused schemas and with them TypeBox (~10 kB gzip) from the terminal chunk.
      treeshake: { manualPureFunctions: ['Type'] },
    },
  },
  // Monaco's editor worker uses ES module syntax; an ES worker keeps it as one file.
  worker: { format: 'es' },
  server: {
    proxy: {
      '/api': { target: `http://${LAB}` },
      '/ws': { target: `ws://${LAB}`, ws: true },
    },
  },
});
