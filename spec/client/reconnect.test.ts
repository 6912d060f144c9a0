/** The SDK's reconnect schedule: the first retry after a drop spread over the room's rejoin window, then backoff. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from '../../src/client/backoff.js';
import { MAX_REJOIN_WINDOW_MS, ReconnectSchedule, type Timers } from '../../src/client/reconnect.js';
import { ChatClient, type StateChange, type WelcomeFrame } from '../../src/client/sdk.js';
import type { WebSocketLike } from '../../src/client/sdk-types.js';

const BACKOFF = { initialMs: 100, maxMs: 1_000, factor: 2, jitter: 0.5 };

/** Timers that run only when the test says so. */
function fakeTimers() {
  const waiting = new Map<number, { fn: () => void; ms: number }>();
  let seq = 0;
  const timers: Timers = {
    setTimeout: (fn, ms) => (waiting.set(++seq, { fn, ms }), seq),
    clearTimeout: (id) => void waiting.delete(id as number),
  };
  const fire = () => {
    const entries = [...waiting];
    waiting.clear();
    for (const [, t] of entries) t.fn();
  };
  return { timers, waiting, fire };
}

describe('client unit: reconnect schedule', () => {
  it('spreads the first retry uniformly over the rejoin window, then backs off as before', () => {
    const draws = [0, 0.5, 0.999];
    for (const r of draws) {
      const retries = new ReconnectSchedule(BACKOFF, () => r);
      retries.rejoinWindow(8_000);
      assert.deepEqual(retries.next(), { delayMs: Math.floor(r * 8_000), rejoinWindowMs: 8_000 });
      assert.deepEqual(retries.next(), { delayMs: backoffDelay(1, BACKOFF, () => r) }, 'the second: backoff');
      assert.deepEqual(retries.next(), { delayMs: backoffDelay(2, BACKOFF, () => r) });
      assert.equal(retries.attempt, 3);
    }
  });

  it('without a window, or with an unreadable one, the first retry is the backoff first delay', () => {
    for (const window of [undefined, 0, -5, Number.NaN]) {
      const retries = new ReconnectSchedule(BACKOFF, () => 0.5);
      retries.rejoinWindow(window);
      assert.deepEqual(retries.next(), { delayMs: backoffDelay(0, BACKOFF, () => 0.5) }, String(window));
    }
    const capped = new ReconnectSchedule(BACKOFF, () => 0.5);
    capped.rejoinWindow(10 * MAX_REJOIN_WINDOW_MS);
    assert.equal(capped.next().rejoinWindowMs, MAX_REJOIN_WINDOW_MS, 'no window past the cap is believed');
  });

  it('keeps the latest window it was told, and starts again from the window after a welcome', () => {
    const retries = new ReconnectSchedule(BACKOFF, () => 0.5);
    retries.rejoinWindow(2_000);
    retries.rejoinWindow(6_000); // a later presence: the room grew
    assert.equal(retries.next().delayMs, 3_000);
    assert.equal(retries.next().rejoinWindowMs, undefined);
    assert.equal(retries.welcomed(), 2, 'the attempts it took');
    assert.equal(retries.next().delayMs, 3_000, 'the next drop is a first retry again');
  });

  it('a Retry-After the room sent wins over the window', () => {
    const retries = new ReconnectSchedule(BACKOFF, () => 0.5);
    retries.rejoinWindow(8_000);
    retries.refused(2_000);
    assert.deepEqual(retries.next(), { delayMs: 2_500, retryAfterMs: 2_000 });
  });

  it('runs one retry at a time on its timers, and forgets it when cancelled', () => {
    const { timers, waiting, fire } = fakeTimers();
    const retries = new ReconnectSchedule(BACKOFF, () => 0.5, timers);
    let ran = 0;
    retries.schedule(100, () => (ran += 1));
    retries.schedule(200, () => (ran += 10)); // replaces the first
    assert.deepEqual(
      [...waiting.values()].map((t) => t.ms),
      [200],
    );
    fire();
    assert.equal(ran, 10);
    retries.schedule(100, () => (ran += 100));
    retries.cancel();
    fire();
    assert.equal(ran, 10);
  });
});

/** A WebSocket the test drives: it opens, receives and drops when told. */
class FakeSocket implements WebSocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  readonly sent: string[] = [];
  onopen: ((event: never) => void) | null = null;
  onmessage: ((event: never) => void) | null = null;
  onclose: ((event: never) => void) | null = null;
  onerror: ((event: never) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string): void {
    this.sent.push(data);
  }
  close(code = 1000, reason = ''): void {
    this.drop(code, reason);
  }
  open(): void {
    this.readyState = 1;
    (this.onopen as ((e: object) => void) | null)?.({});
  }
  receive(frame: object): void {
    (this.onmessage as ((e: { data: string }) => void) | null)?.({ data: JSON.stringify(frame) });
  }
  drop(code = 1006, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    (this.onclose as ((e: { code: number; reason: string }) => void) | null)?.({ code, reason });
  }
}

const welcome = (extra: Partial<WelcomeFrame> = {}): WelcomeFrame => ({
  type: 'welcome',
  protocol: 1,
  room: 'r',
  you: { id: 'guest:a', name: 'Ann', role: 'guest' },
  history: [],
  viewers: 3,
  settings: {
    slow: 0,
    followersOnly: false,
    subscribersOnly: false,
    uniqueChat: false,
    chatDelay: 0,
    review: false,
    shield: false,
    maxMessageChars: 500,
    moderationRule: { mod: [], host: [] },
  } as unknown as WelcomeFrame['settings'],
  ...extra,
});

describe('client SDK: the first retry after a drop', () => {
  it('comes within the window the welcome named, the next ones after the backoff', async () => {
    FakeSocket.all = [];
    const client = new ChatClient({
      url: 'ws://room.test/',
      WebSocket: FakeSocket,
      transport: 'websocket',
      backoff: BACKOFF,
      random: () => 0.25,
    });
    const waits: StateChange[] = [];
    client.on('state', (s) => s.state === 'reconnecting' && waits.push(s));
    const joined = client.join({ name: 'Ann' });
    await Promise.resolve();
    const first = FakeSocket.all[0]!;
    first.open();
    first.receive(welcome({ rejoinWindowMs: 8_000 }));
    await joined;

    first.drop(1006);
    assert.equal(waits.length, 1);
    assert.equal(waits[0]!.state === 'reconnecting' && waits[0]!.delayMs, 2_000, '0.25 of the 8 s window');
    assert.equal(waits[0]!.state === 'reconnecting' && waits[0]!.rejoinWindowMs, 8_000);

    // Skip the wait (no timing in tests); this attempt fails before it opens.
    assert.ok(client.reconnectNow());
    await Promise.resolve();
    FakeSocket.all[1]!.drop(1006);
    assert.equal(waits.length, 2);
    const second = waits[1]!;
    assert.ok(second.state === 'reconnecting');
    assert.equal(
      second.delayMs,
      backoffDelay(1, BACKOFF, () => 0.25),
      'then the backoff',
    );
    assert.equal(second.rejoinWindowMs, undefined);

    // Welcomed again, then told by presence that the room has grown: the next drop uses that window.
    assert.ok(client.reconnectNow());
    await Promise.resolve();
    const third = FakeSocket.all[2]!;
    third.open();
    assert.equal(JSON.parse(third.sent[0]!).since, undefined, 'no message seen yet, so no since');
    third.receive(welcome());
    third.receive({ type: 'presence', viewers: 12_000, rejoinWindowMs: 4_000 });
    third.drop(1006);
    const fourth = waits[2]!;
    assert.ok(fourth.state === 'reconnecting');
    assert.equal(fourth.delayMs, 1_000, '0.25 of the 4 s window of the latest presence');
    assert.equal(fourth.attempt, 1);
    client.close();
  });
});
