/**
 * Out of file descriptors: a room that cannot listen (EMFILE) makes the create
 * answer 503 with Retry-After like a full server, never 500; and a listener's
 * accept errors are logged once per burst, with a count.
 */
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { ErrorBurst } from '../../src/error-burst.js';
import { startTestServer } from '../helpers/server.js';

const emfileWorker = new URL('../fixtures/emfile-worker.js', import.meta.url);

describe('running out of file descriptors', () => {
  it('answers a create whose room cannot listen for want of a descriptor with 503, not 500', async () => {
    const t = await startTestServer({ MAX_ROOMS: '2', ROOM_WARM_WORKERS: '0' }, { roomWorkerFile: emfileWorker });
    const res = await t.publicFetch('/room/nofd', { method: 'POST' });
    assert.equal(res.status, 503);
    assert.ok(Number(res.headers.get('retry-after')) > 0);
    assert.equal(t.server.rooms.roomCount, 0, 'the slot is free again');
    await t.stop();
  });

  it('logs accept errors once per window, then their count', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const lines: Array<[string | undefined, number]> = [];
      const burst = new ErrorBurst(10_000, (error, count) => lines.push([error.code, count]));
      const emfile = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' });
      for (let i = 0; i < 500; i++) burst.add(emfile);
      assert.deepEqual(lines, [['EMFILE', 1]]);
      mock.timers.tick(10_000);
      assert.deepEqual(lines, [
        ['EMFILE', 1],
        ['EMFILE', 499],
      ]);
      mock.timers.tick(10_000);
      assert.equal(lines.length, 2, 'a quiet window logs nothing');
      burst.add(emfile);
      assert.equal(lines.length, 3, 'a new burst is logged at once');
      burst.stop();
    } finally {
      mock.timers.reset();
    }
  });
});
