import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The dashboard builds into dist/dashboard, where the API serves it from `/`.
export default defineConfig({
  root: fileURLToPath(new URL('./src/dashboard', import.meta.url)),
  base: './',
  build: { outDir: fileURLToPath(new URL('./dist/dashboard', import.meta.url)), emptyOutDir: true, sourcemap: true },
  logLevel: 'warn',
});
