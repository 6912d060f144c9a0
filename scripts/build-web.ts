/**
 * Builds the chat page (src/client/web) into dist/web: one minified ES module
 * bundle (the page and the client SDK), its CSS, and index.html. The server serves
 * dist/web at /app/. Type checking is tsc's job (`tsc -p src/client/web`); esbuild
 * only strips types and bundles, which takes a few milliseconds.
 *
 *   node dist/scripts/build-web.js        (part of `npm run build`)
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The repository root; this file runs compiled, from dist/scripts/. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SOURCE = join(ROOT, 'src/client/web');
export const WEB_OUT = join(ROOT, 'dist/web');

/** One page: its entry bundled into one minified ES module beside its index.html. */
async function buildPage(source: string, entry: string, outdir: string): Promise<void> {
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: { [entry]: join(source, 'main.ts') },
    outdir,
    bundle: true,
    format: 'esm',
    target: ['es2020'],
    platform: 'browser',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
  });
  await copyFile(join(source, 'index.html'), join(outdir, 'index.html'));
}

export function buildWeb(outdir: string = WEB_OUT): Promise<void> {
  return buildPage(SOURCE, 'app', outdir);
}

/**
 * For tests: builds only when there is no build yet. `npm test` builds first, and
 * test files run side by side must not rewrite files another one is serving.
 */
export async function ensureWebBuilt(): Promise<void> {
  if (!existsSync(join(WEB_OUT, 'index.html'))) await buildWeb();
}

// ── The operator's console (src/client/admin), served at /admin/ on the admin listener ──
const ADMIN_SOURCE = join(ROOT, 'src/client/admin');
export const ADMIN_OUT = join(ROOT, 'dist/admin');

export function buildAdminConsole(outdir: string = ADMIN_OUT): Promise<void> {
  return buildPage(ADMIN_SOURCE, 'console', outdir);
}

/** For tests, like ensureWebBuilt: builds the console only when there is no build yet. */
export async function ensureAdminConsoleBuilt(): Promise<void> {
  if (!existsSync(join(ADMIN_OUT, 'index.html'))) await buildAdminConsole();
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildWeb();
  console.log(`web app built into ${WEB_OUT}`);
  await buildAdminConsole();
  console.log(`operator's console built into ${ADMIN_OUT}`);
}
