import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The dashboard: web/ is the Vite root; `npm run build` writes dist/web/, which `arbiter serve` serves. */
export default defineConfig({
  root: here('.'),
  base: '/',
  plugins: [react()],
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
  },
  server: {
    // `npx vite web` during development: the API comes from a running `arbiter serve`.
    proxy: { '/v1': 'http://127.0.0.1:8080' },
  },
});
