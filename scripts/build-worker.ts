/**
 * Bundles the room worker's entry (dist/src/room/worker.js, compiled by tsc) with
 * `ws` and `jose` into one ES module, dist/worker/room-worker.js. Every room is a
 * worker thread that loads its code on its own, and a module graph of about a
 * hundred files (the room's, then `ws`'s and `jose`'s) costs each worker about 3 MB
 * more resident memory than the same code in one file (docs/benchmarks.md, memory
 * per idle room). The Redis engine, needed only in a cluster, stays a chunk of its
 * own, loaded only there, and the Redis client stays outside the bundle.
 *
 * The master runs the bundle only while it is newer than every file it was built
 * from (src/master/worker-entry.ts reads the list written beside it), so a `tsc -b`
 * without this step never runs stale room code.
 *
 *   node dist/scripts/build-worker.js        (part of `npm run build`)
 */
import { rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { WORKER_BUNDLE_DIR, WORKER_BUNDLE_INPUTS } from '../src/master/worker-entry.js';

/** The repository root; this file runs compiled, from dist/scripts/. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function buildWorker(outdir: string = fileURLToPath(WORKER_BUNDLE_DIR)): Promise<void> {
  await rm(outdir, { recursive: true, force: true }); // no chunk of an earlier build stays behind
  const result = await build({
    entryPoints: { 'room-worker': join(ROOT, 'dist/src/room/worker.js') },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: ['node20'],
    // Loaded only in a cluster (src/room/worker.ts); `ws`'s optional native helpers are not installed.
    external: ['redis', '@redis/*', 'bufferutil', 'utf-8-validate'],
    // `ws` is CommonJS: its require() of Node's own modules needs a require in an ES module.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    // Less source for every worker to hold (about 0.5 MB per room); names stay, for logs and
    // error names, and the linked source map gives stack traces their TypeScript lines.
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: 'linked',
    // Under --enable-source-maps (as the systemd unit runs the server) every worker reads and
    // keeps the map: with the sources' text in it, about 2.5 MB per room. Stack traces need
    // only the mappings; the sources are read from disk if ever shown.
    sourcesContent: false,
    metafile: true,
    absWorkingDir: ROOT,
    legalComments: 'none',
    logLevel: 'warning',
  });
  // Paths from the repository root (absWorkingDir), as src/master/worker-entry.ts reads them.
  const inputs = Object.keys(result.metafile.inputs);
  await writeFile(join(outdir, basename(fileURLToPath(WORKER_BUNDLE_INPUTS))), JSON.stringify(inputs) + '\n');
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildWorker();
  console.log(`room worker bundled into ${fileURLToPath(WORKER_BUNDLE_DIR)}`);
}
