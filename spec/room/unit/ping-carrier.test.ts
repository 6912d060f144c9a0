/** Pings that ride on data writes (src/room/ping-carrier.ts, src/room/ws-connection.ts), on a fake clock. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PING_FRAME, PingCarrier, pingHoldMs, type PingCarried } from '../../../src/room/ping-carrier.js';
import { textFrame, textFrameWithPing } from '../../../src/room/ws-connection.js';
import { FakeClock } from '../fakes.js';

class Peer implements PingCarried {
  pingDue = false;
  alone = 0;
  sendPing(): void {
    this.pingDue = false;
    this.alone += 1;
  }
  /** A data write: it carries the owed ping. */
  write(): void {
    this.pingDue = false;
  }
}

describe('room unit: pings carried by data writes', () => {
  it('sends alone, after the hold, only the pings no write carried, in chunks', () => {
    const clock = new FakeClock();
    const carrier = new PingCarrier(clock, 1_000, 2);
    const peers = Array.from({ length: 5 }, () => new Peer());
    for (const p of peers) carrier.want(p);
    assert.ok(peers.every((p) => p.pingDue));
    peers[1]!.write();
    peers[3]!.write();
    clock.advance(999);
    assert.deepEqual(
      peers.map((p) => p.alone),
      [0, 0, 0, 0, 0],
    );
    clock.advance(1);
    assert.deepEqual(
      peers.map((p) => p.alone),
      [1, 0, 1, 0, 1],
    );
    assert.ok(peers.every((p) => !p.pingDue));
  });

  it('owes a peer one ping however often it is asked before it leaves', () => {
    const clock = new FakeClock();
    const carrier = new PingCarrier(clock, 100);
    const peer = new Peer();
    carrier.want(peer);
    carrier.want(peer);
    clock.advance(100);
    assert.equal(peer.alone, 1);
    carrier.want(peer); // the next round
    clock.advance(100);
    assert.equal(peer.alone, 2);
    assert.equal(clock.pending, 0);
  });

  it('holds a ping a second at most, and a quarter of the pong timeout, and half the interval', () => {
    assert.equal(pingHoldMs({ pingIntervalMs: 25_000, pongTimeoutMs: 10_000 }), 1_000);
    assert.equal(pingHoldMs({ pingIntervalMs: 25_000, pongTimeoutMs: 2_000 }), 500);
    assert.equal(pingHoldMs({ pingIntervalMs: 400, pongTimeoutMs: 10_000 }), 200);
  });

  it('writes the ping right after a whole data frame, one shared buffer per batch', () => {
    const payload = Buffer.from('{"type":"message","id":1}');
    const frame = textFrameWithPing(payload);
    assert.deepEqual(frame, Buffer.concat([textFrame(payload), PING_FRAME]));
    assert.deepEqual([...PING_FRAME], [0x89, 0x00]);
    assert.equal(textFrameWithPing(payload), frame, 'built once for every member it goes to');
  });
});
