/** The one WebSocket frame a batch is written as, read back by ws's own client-side parser. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Writable } from 'node:stream';
import * as ws from 'ws';
import { textFrame } from '../../../src/room/ws-connection.js';

/** ws's frame parser, exported at run time though not in its type definitions. */
const Receiver = (ws as unknown as { Receiver: new (options: { isServer: boolean }) => Writable }).Receiver;

function parse(frame: Buffer): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve, reject) => {
    const receiver = new Receiver({ isServer: false });
    receiver.on('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary }));
    receiver.on('error', reject);
    receiver.write(frame);
  });
}

describe('room unit: a batch as one text frame', () => {
  for (const length of [1, 125, 126, 65_535, 65_536, 70_000]) {
    it(`frames ${length} bytes as a text message ws reads back whole`, async () => {
      const payload = Buffer.from('é'.repeat(Math.ceil(length / 2))).subarray(0, length - (length % 2));
      const { data, isBinary } = await parse(textFrame(payload));
      assert.equal(isBinary, false);
      assert.ok(data.equals(payload));
    });
  }

  it('builds the frame once for a buffer shared by many members', () => {
    const payload = Buffer.from('{"type":"presence","viewers":3}');
    assert.equal(textFrame(payload), textFrame(payload));
    assert.notEqual(textFrame(payload), textFrame(Buffer.from(payload)));
  });
});
