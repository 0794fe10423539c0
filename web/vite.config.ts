import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The WebUI: Preact + TSX, built into dist/web, which the API server serves at `/` (src/serve/http/web-app.ts).
// Everything is bundled; nothing is fetched from the internet at run time.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: true,
  },
});
