/**
 * Which file a room worker runs: the bundle `npm run build` makes
 * (scripts/build-worker.ts, dist/worker/room-worker.js) while it is newer than every
 * file it was built from, else the room's compiled entry (dist/src/room/worker.js).
 * Both run the same code; the bundle costs each room about 3 MB less resident memory
 * (docs/benchmarks.md). A build by `tsc -b` alone leaves the bundle behind its inputs,
 * and the master then runs the fresh compiled files rather than stale room code.
 */
import { readFileSync, statSync } from 'node:fs';

/** The repository root: this file runs compiled, from dist/src/master/. */
const ROOT = new URL('../../../', import.meta.url);
export const WORKER_BUNDLE_DIR = new URL('dist/worker/', ROOT);
export const WORKER_BUNDLE = new URL('room-worker.js', WORKER_BUNDLE_DIR);
/** The bundle's inputs, as paths from the repository root (written by scripts/build-worker.ts). */
export const WORKER_BUNDLE_INPUTS = new URL('inputs.json', WORKER_BUNDLE_DIR);
export const UNBUNDLED_WORKER = new URL('../room/worker.js', import.meta.url);

export interface WorkerEntry {
  file: URL;
  /** Why the compiled entry runs instead of the bundle (absent: the bundle runs). */
  unbundled?: string;
}

const mtime = (file: string | URL) => statSync(file).mtimeMs;

/** Where to look; tests point these at a directory of their own. */
export interface WorkerEntryPlaces {
  /** What the bundle's input paths are relative to. */
  root: URL;
  bundle: URL;
  inputs: URL;
  unbundled: URL;
}

const PLACES: WorkerEntryPlaces = {
  root: ROOT,
  bundle: WORKER_BUNDLE,
  inputs: WORKER_BUNDLE_INPUTS,
  unbundled: UNBUNDLED_WORKER,
};

/** The entry to run, decided once at start (a few dozen stat calls). */
export function roomWorkerEntry(places: WorkerEntryPlaces = PLACES): WorkerEntry {
  const fallback = (unbundled: string): WorkerEntry => ({ file: places.unbundled, unbundled });
  let built: number;
  let inputs: string[];
  try {
    built = mtime(places.bundle);
    inputs = JSON.parse(readFileSync(places.inputs, 'utf8')) as string[];
  } catch {
    return fallback('no room worker bundle (npm run build makes it)');
  }
  for (const input of inputs) {
    let changed: number;
    try {
      changed = mtime(new URL(input, places.root));
    } catch {
      return fallback(`the room worker bundle's input ${input} is gone`);
    }
    if (changed > built) return fallback(`${input} is newer than the room worker bundle (npm run build)`);
  }
  return { file: places.bundle };
}
