import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import { after, afterEach, beforeEach, describe, it, mock } from 'node:test';
import { DeadlineError, listen, ListenError, ListenerSet, settleWithin, withDeadline } from '../src/lifecycle.js';

const never = () => new Promise<never>(() => undefined);
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('withDeadline', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('rejects with a DeadlineError that names the work once the deadline passes', async () => {
    const raced = withDeadline(never(), 1_000, 'the store');
    mock.timers.tick(999);
    let settled = false;
    raced.catch(() => undefined).finally(() => (settled = true));
    // Let every pending callback run (only timers are mocked), so an early rejection would show.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false, 'settled before its deadline');
    mock.timers.tick(1);
    await assert.rejects(raced, (error: unknown) => {
      assert.ok(error instanceof DeadlineError);
      assert.equal(error.message, 'the store did not finish within 1000 ms');
      return true;
    });
  });

  it("passes the work's own value and error through", async () => {
    assert.equal(await withDeadline(Promise.resolve(7), 1_000, 'x'), 7);
    await assert.rejects(withDeadline(Promise.reject(new Error('boom')), 1_000, 'x'), /boom/);
  });

  it('settleWithin says whether the work settled in time, and never rejects', async () => {
    assert.equal(await settleWithin(Promise.reject(new Error('failed')), 1_000), true);
    const late = settleWithin(never(), 1_000);
    mock.timers.tick(1_000);
    assert.equal(await late, false);
  });
});

describe('withDeadline with a real clock', () => {
  it('clears its timer as soon as the work settles', async () => {
    const before = timers();
    await withDeadline(Promise.resolve(), 60_000, 'quick work');
    await withDeadline(Promise.reject(new Error('x')), 60_000, 'failing work').catch(() => undefined);
    assert.equal(timers(), before, 'a timer was left running');
  });
});

describe('listen', () => {
  it('resolves with the bound port and leaves no error listener behind', async () => {
    const server = createServer();
    after(() => server.close());
    const port = await listen(server, { port: 0, host: '127.0.0.1' });
    assert.ok(port > 0);
    assert.equal(server.listenerCount('error'), 0);
  });

  it('names the setting and the reason of a port it cannot bind', async () => {
    const holder = createServer();
    after(() => holder.close());
    const port = await listen(holder, { port: 0, host: '127.0.0.1' });
    const second = createServer();
    await assert.rejects(listen(second, { port, host: '127.0.0.1', setting: 'PORT' }), (error: unknown) => {
      assert.ok(error instanceof ListenError);
      assert.equal(error.code, 'EADDRINUSE');
      assert.equal(error.message, `PORT=${port} on 127.0.0.1: is in use; set PORT to a free port`);
      return true;
    });
    assert.equal(second.listenerCount('error'), 0);
  });

  it('hands errors after listening (accept failures) to acceptErrors instead of throwing them', async () => {
    const server = createServer();
    after(() => server.close());
    const seen: string[] = [];
    await listen(server, { port: 0, host: '127.0.0.1', acceptErrors: (error) => seen.push(error.code ?? '') });
    server.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' }));
    assert.deepEqual(seen, ['EMFILE']);
  });
});

describe('ListenerSet', () => {
  it('removes exactly the listeners it added, once', () => {
    const target = new EventEmitter<{ tick: [n: number] }>();
    const other = () => undefined;
    target.on('tick', other);
    const seen: number[] = [];
    const set = new ListenerSet()
      .on(target, 'tick', (n: number) => seen.push(n))
      .on(target, 'tick', () => seen.push(-1));
    target.emit('tick', 1);
    assert.deepEqual(seen, [1, -1]);
    assert.equal(set.size, 2);
    set.removeAll();
    set.removeAll();
    target.emit('tick', 2);
    assert.deepEqual(seen, [1, -1]);
    assert.deepEqual(target.listeners('tick'), [other], "another part's listener was removed");
  });

  it('takes a once listener off after its first call', () => {
    const target = new EventEmitter<{ tick: [n: number] }>();
    const seen: number[] = [];
    const set = new ListenerSet().once(target, 'tick', (n: number) => seen.push(n));
    target.emit('tick', 1);
    target.emit('tick', 2);
    assert.deepEqual(seen, [1]);
    assert.equal(target.listenerCount('tick'), 0);
    set.removeAll();
  });
});
