/**
 * GET /api/v1/metrics: the text is read back with a Prometheus text parser, the
 * series are there with their types, and they move with what happens in rooms.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { find, parsePrometheusText, valueOf, type Exposition } from '../helpers/prom-text.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';
import { TestClient } from '../helpers/ws-client.js';

const misbehaving = new URL('../fixtures/misbehaving-worker.js', import.meta.url);

async function scrape(t: TestServer): Promise<Exposition> {
  const res = await t.adminFetch('/metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
}

describe('metrics', async () => {
  const t = await startTestServer({ MAX_ROOMS: '3' });

  it('answers only with the admin key', async () => {
    for (const key of [null, 'wrong', 'test-key']) {
      const res = await t.adminFetch('/metrics', { key });
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED');
    }
  });

  it('lists every series with its type, and the default process metrics', async () => {
    await t.createRoom('typed');
    const m = await scrape(t);
    const expected: Record<string, string> = {
      chatserver_rooms: 'gauge',
      chatserver_room_slots: 'gauge',
      chatserver_accepting_rooms: 'gauge',
      chatserver_room_connections: 'gauge',
      chatserver_room_chatters: 'gauge',
      chatserver_room_heap_used_bytes: 'gauge',
      chatserver_room_event_loop_delay_seconds: 'gauge',
      chatserver_room_connections_accepted_total: 'counter',
      chatserver_messages_accepted_total: 'counter',
      chatserver_messages_refused_total: 'counter',
      chatserver_deliveries_total: 'counter',
      chatserver_slow_readers_total: 'counter',
      chatserver_room_worker_crashes_total: 'counter',
      chatserver_room_worker_restarts_total: 'counter',
      chatserver_room_workers_started_total: 'counter',
      chatserver_store_write_batches_total: 'counter',
      chatserver_store_write_duration_seconds: 'histogram',
      chatserver_store_records_dropped_total: 'counter',
      chatserver_store_queue_records: 'gauge',
      chatserver_store_up: 'gauge',
      chatserver_balancer_calls_total: 'counter',
      chatserver_webhook_calls_total: 'counter',
      process_cpu_user_seconds_total: 'counter',
      process_resident_memory_bytes: 'gauge',
      nodejs_heap_size_used_bytes: 'gauge',
      nodejs_eventloop_lag_p99_seconds: 'gauge',
    };
    for (const [name, type] of Object.entries(expected)) assert.equal(m.types.get(name), type, name);
    assert.equal(valueOf(m, 'chatserver_room_slots'), 3);
    assert.equal(valueOf(m, 'chatserver_accepting_rooms'), 1);
    assert.ok(valueOf(m, 'chatserver_rooms') >= 1);
    assert.equal(valueOf(m, 'chatserver_messages_accepted_total', { room: 'typed' }), 0);
    for (const quantile of ['0.5', '0.99'])
      assert.ok(valueOf(m, 'chatserver_room_event_loop_delay_seconds', { room: 'typed', quantile }) >= 0);
    assert.ok(valueOf(m, 'chatserver_room_heap_used_bytes', { room: 'typed' }) > 0);
    assert.ok(valueOf(m, 'chatserver_room_workers_started_total') >= 1);
    assert.equal(valueOf(m, 'chatserver_store_up'), 1);
    for (const outcome of ['ok', 'failed', 'refused'])
      assert.equal(valueOf(m, 'chatserver_balancer_calls_total', { outcome }), 0);
  });

  it('raises the room counters as messages are sent, refused and delivered', async () => {
    const port = await t.createRoom('moving');
    const { client: ann } = await TestClient.join(port, { name: 'Ann' });
    const { client: ben } = await TestClient.join(port, { name: 'Ben' });
    const before = await scrape(t);
    const room = { room: 'moving' };
    assert.equal(valueOf(before, 'chatserver_room_connections', room), 2);
    assert.equal(valueOf(before, 'chatserver_room_chatters', room), 2);
    assert.equal(valueOf(before, 'chatserver_room_connections_accepted_total', room), 2);

    ann.send({ type: 'message', text: 'counted' });
    await ben.next('message', (f) => f.text === 'counted');
    ann.send({ type: 'message', text: '   ', ref: 'empty' });
    await ann.next('error', (f) => f.code === 'EMPTY');
    const after = await scrape(t);
    const accepted = (m: Exposition) => valueOf(m, 'chatserver_messages_accepted_total', room);
    const deliveries = (m: Exposition) => valueOf(m, 'chatserver_deliveries_total', room);
    assert.equal(accepted(after), accepted(before) + 1);
    assert.ok(deliveries(after) >= deliveries(before) + 2, 'the message went to both');
    assert.equal(valueOf(after, 'chatserver_messages_refused_total', { ...room, code: 'EMPTY' }), 1);
    assert.equal(find(after, 'chatserver_messages_refused_total', { ...room, code: 'TOO_LONG' }).length, 0);

    // The store wrote the message in a batch; its latency was observed.
    await eventually('a transcript batch written', async () => {
      const m = await scrape(t);
      return valueOf(m, 'chatserver_store_write_batches_total', { outcome: 'ok' }) >= 1;
    });
    const stored = await scrape(t);
    assert.ok(valueOf(stored, 'chatserver_store_write_duration_seconds_count', { outcome: 'ok' }) >= 1);
    assert.equal(valueOf(stored, 'chatserver_store_records_dropped_total'), 0);
    ann.close();
    ben.close();
  });

  it('drops a closed room from the per-room series', async () => {
    await t.createRoom('gone');
    assert.equal(find(await scrape(t), 'chatserver_room_connections', { room: 'gone' }).length, 1);
    assert.equal((await t.adminFetch('/room/gone/shutdown', { method: 'DELETE' })).status, 202);
    await eventually('room gone', async () => (await t.publicFetch('/room/gone', { key: null })).status === 404);
    const m = await scrape(t);
    assert.equal(find(m, 'chatserver_room_connections', { room: 'gone' }).length, 0);
    assert.equal(valueOf(m, 'chatserver_room_worker_crashes_total', { cause: 'died' }), 0, 'a shutdown is no crash');
  });

  it('shows the draining state', async () => {
    await t.adminFetch('/drain', { method: 'POST' });
    assert.equal(valueOf(await scrape(t), 'chatserver_accepting_rooms'), 0);
    await t.adminFetch('/resume', { method: 'POST' });
    assert.equal(valueOf(await scrape(t), 'chatserver_accepting_rooms'), 1);
  });
});

describe('metrics of a crashing room', () => {
  it('counts the crash and the restart of the room when it is created again', async () => {
    const t = await startTestServer({ MAX_ROOMS: '2' }, { roomWorkerFile: misbehaving });
    await t.createRoom('fragile');
    void t.adminFetch('/broadcast', {
      method: 'POST',
      body: JSON.stringify({ text: 'fixture:exit', rooms: ['fragile'] }),
    });
    await eventually('room died', async () => (await t.publicFetch('/room/fragile', { key: null })).status === 404);
    const crashed = await scrape(t);
    assert.equal(valueOf(crashed, 'chatserver_room_worker_crashes_total', { cause: 'died' }), 1);
    assert.equal(valueOf(crashed, 'chatserver_room_worker_restarts_total'), 0);
    await t.createRoom('fragile');
    const restarted = await scrape(t);
    assert.equal(valueOf(restarted, 'chatserver_room_worker_restarts_total'), 1);
    assert.equal(valueOf(restarted, 'chatserver_messages_accepted_total', { room: 'fragile' }), 0, 'counts restart');
  });
});
