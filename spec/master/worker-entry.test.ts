import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { roomWorkerEntry, WORKER_BUNDLE, type WorkerEntryPlaces } from '../../src/master/worker-entry.js';

describe('which entry a room worker runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'worker-entry-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'dist/src/room'), { recursive: true });
  mkdirSync(join(dir, 'dist/worker'), { recursive: true });
  const file = (path: string) => pathToFileURL(join(dir, path));
  const places: WorkerEntryPlaces = {
    root: pathToFileURL(dir + '/'),
    bundle: file('dist/worker/room-worker.js'),
    inputs: file('dist/worker/inputs.json'),
    unbundled: file('dist/src/room/worker.js'),
  };
  const at = (path: string, seconds: number) => utimesSync(join(dir, path), seconds, seconds);

  it('runs the compiled entry while there is no bundle', () => {
    const entry = roomWorkerEntry(places);
    assert.equal(entry.file.href, places.unbundled.href);
    assert.match(entry.unbundled ?? '', /no room worker bundle/);
  });

  it('runs the bundle while it is newer than every input', () => {
    writeFileSync(join(dir, 'dist/src/room/worker.js'), '');
    writeFileSync(join(dir, 'dist/worker/room-worker.js'), '');
    writeFileSync(join(dir, 'dist/worker/inputs.json'), JSON.stringify(['dist/src/room/worker.js']));
    at('dist/src/room/worker.js', 1_000);
    at('dist/worker/room-worker.js', 2_000);
    assert.deepEqual(roomWorkerEntry(places), { file: places.bundle });
  });

  it('runs the compiled entry once an input is rebuilt after the bundle, or is gone', () => {
    at('dist/src/room/worker.js', 3_000);
    const stale = roomWorkerEntry(places);
    assert.equal(stale.file.href, places.unbundled.href);
    assert.match(stale.unbundled ?? '', /dist\/src\/room\/worker\.js is newer/);
    writeFileSync(join(dir, 'dist/worker/inputs.json'), JSON.stringify(['dist/src/room/gone.js']));
    assert.match(roomWorkerEntry(places).unbundled ?? '', /is gone/);
  });

  it('finds this build fresh after npm run build', () => {
    // `npm test` builds first, so the room tests here run the bundle.
    assert.deepEqual(roomWorkerEntry(), { file: WORKER_BUNDLE });
  });
});
