import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { eventually } from '../helpers/wait.js';
import { startTestServer } from '../helpers/server.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';
import { closeOf, type Frame, TestClient } from '../helpers/ws-client.js';

const joinToken = (sub: string, name: string, role = 'viewer', room?: string) =>
  token(room === undefined ? { sub, name, role } : { sub, name, role, room });

type Json = { data: Record<string, unknown>; error?: { code: string; message: string } };
const json = async (res: Response) => (await res.json()) as Json;

describe('store-backed admin calls', async () => {
  const t = await startTestServer({ AUTH_SECRET, MAX_ROOMS: '10', RATE_LIMIT_MESSAGES: '1000' });
  const join = async (port: number, sub: string, role: 'viewer' | 'mod' | 'host' = 'viewer', room?: string) =>
    TestClient.join(port, { token: await joinToken(sub, sub, role, room) });

  it('pages a room transcript newest first with before, deletions and clears marked', async () => {
    const port = await t.createRoom('pages');
    const { client } = await join(port, 'writer');
    const { client: mod } = await join(port, 'pmod', 'mod', 'pages');
    for (let i = 1; i <= 12; i++) client.send({ type: 'message', text: `line ${i}`, ref: `r${i}` });
    await client.next('ack', (f) => f.ref === 'r12');
    mod.send({ type: 'delete', id: 5 });
    await client.next('deleted');
    const first = await json(await t.adminFetch('/room/pages/messages?limit=5'));
    const ids = (first.data.messages as Array<{ id: number }>).map((m) => m.id);
    assert.deepEqual(ids, [12, 11, 10, 9, 8]);
    assert.equal(first.data.next, 8);
    const second = await json(await t.adminFetch(`/room/pages/messages?limit=5&before=${String(first.data.next)}`));
    const rows = second.data.messages as Array<{ id: number; deleted: boolean; text: string; user: { id: string } }>;
    assert.deepEqual(
      rows.map((m) => m.id),
      [7, 6, 5, 4, 3],
    );
    assert.equal(rows.find((m) => m.id === 5)?.deleted, true);
    assert.equal(rows[0]?.text, 'line 7');
    assert.equal(rows[0]?.user.id, 'writer');
    mod.send({ type: 'clear' });
    await client.next('cleared');
    const all = await json(await t.adminFetch('/room/pages/messages?limit=500'));
    const marks = all.data.messages as Array<{ cleared: boolean }>;
    assert.equal(marks.length, 12, 'a clear keeps the stored messages');
    assert.ok(marks.every((m) => m.cleared));
    assert.equal(all.data.next, null);
    client.close();
    mod.close();
  });

  it('keeps a moderation log of every moderator and admin act, paged', async () => {
    const port = await t.createRoom('modlog');
    const { client: mod } = await join(port, 'm1', 'mod', 'modlog');
    const { client: victim } = await join(port, 'v1');
    victim.send({ type: 'message', text: 'hello', ref: 'h' });
    const ack = await victim.next('ack');
    mod.send({ type: 'delete', id: ack.id });
    await mod.next('deleted');
    mod.send({ type: 'timeout', user: 'v1', seconds: 60, reason: 'cool off' });
    await mod.next('timeout');
    mod.send({ type: 'slow', seconds: 5 });
    await mod.next('settings');
    mod.send({ type: 'clear' });
    await mod.next('cleared');
    mod.send({ type: 'ban', user: 'v1', reason: 'spam' });
    await mod.next('ban');
    mod.send({ type: 'unban', user: 'v1' });
    const { client: again } = await join(port, 'v1');
    const kicked = await t.adminFetch('/room/modlog/kick', {
      method: 'POST',
      body: JSON.stringify({ user: 'v1', reason: 'admin says' }),
    });
    assert.equal(kicked.status, 200);
    await closeOf(again);
    const page = await json(await t.adminFetch('/room/modlog/moderation?limit=4'));
    const entries = page.data.entries as Array<Record<string, unknown> & { by: { id: string } }>;
    assert.deepEqual(
      entries.map((e) => e.action),
      ['kick', 'unban', 'ban', 'clear'],
    );
    assert.deepEqual(
      { by: entries[0]!.by.id, target: entries[0]!.target, reason: entries[0]!.reason },
      { by: 'admin', target: 'v1', reason: 'admin says' },
    );
    assert.deepEqual(
      { by: entries[2]!.by.id, target: entries[2]!.target, reason: entries[2]!.reason },
      {
        by: 'm1',
        target: 'v1',
        reason: 'spam',
      },
    );
    assert.equal(typeof entries[0]!.at, 'number');
    const rest = await json(await t.adminFetch(`/room/modlog/moderation?limit=4&before=${String(page.data.next)}`));
    const older = rest.data.entries as Array<Record<string, unknown>>;
    assert.deepEqual(
      older.map((e) => e.action),
      ['slow', 'timeout', 'delete'],
    );
    assert.equal(older[0]!.seconds, 5);
    assert.deepEqual([older[1]!.seconds, older[1]!.reason], [60, 'cool off']);
    assert.equal(older[2]!.messageId, ack.id);
    mod.close();
    victim.close();
  });

  it('refuses bad paging parameters, naming the parameter', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/room/x/messages?limit=501', /"limit": must be at most 500/],
      ['/room/x/messages?limit=0', /"limit"/],
      ['/room/x/messages?limit=ten', /"limit"/],
      ['/room/x/messages?before=abc', /"before"/],
      ['/room/x/moderation?before=a-b', /"before"/],
      ['/room/..x/messages', /Room name/],
    ];
    for (const [path, message] of cases) {
      const res = await t.adminFetch(path);
      assert.equal(res.status, 400, path);
      assert.match((await json(res)).error!.message, message, path);
    }
  });

  it('closes a banned user’s open connections in a running room within a second, and keeps them out', async () => {
    const port = await t.createRoom('banroom');
    const { client: first } = await join(port, 'troll');
    const { client: second } = await join(port, 'troll');
    const { client: bystander } = await join(port, 'nice');
    const started = Date.now();
    const res = await t.adminFetch('/bans', {
      method: 'POST',
      body: JSON.stringify({ user: 'troll', room: 'banroom', reason: 'trolling' }),
    });
    assert.equal(res.status, 201);
    const [a, b] = await Promise.all([closeOf(first), closeOf(second)]);
    assert.ok(Date.now() - started < 1_000, `closed after ${Date.now() - started} ms`);
    assert.deepEqual([a.code, b.code], [4003, 4003]);
    assert.equal((await bystander.next('ban')).user, 'troll');
    const back = await TestClient.connect(port);
    back.send({ type: 'join', token: await joinToken('troll', 'troll') });
    assert.equal((await closeOf(back)).code, 4003, 'a banned user cannot rejoin');
    const list = await json(await t.adminFetch('/bans?room=banroom'));
    const bans = list.data.bans as Array<Record<string, unknown>>;
    assert.deepEqual(
      bans.map((x) => [x.user, x.room, x.reason, x.by]),
      [['troll', 'banroom', 'trolling', 'admin']],
    );
    // Lifted: the user may join again.
    assert.equal((await t.adminFetch('/bans/troll?room=banroom', { method: 'DELETE' })).status, 200);
    assert.equal((await t.adminFetch('/bans/troll?room=banroom', { method: 'DELETE' })).status, 404);
    const { client: welcomeBack, welcome } = await join(port, 'troll');
    assert.equal((welcome.you as { id: string }).id, 'troll');
    welcomeBack.close();
    bystander.close();
  });

  it('applies a global ban in every running room', async () => {
    const portA = await t.createRoom('globa');
    const portB = await t.createRoom('globb');
    const { client: inA } = await join(portA, 'everywhere');
    const { client: inB } = await join(portB, 'everywhere');
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const res = await t.adminFetch('/bans', { method: 'POST', body: JSON.stringify({ user: 'everywhere', until }) });
    assert.equal(res.status, 201);
    assert.equal(((await json(res)).data.ban as { until: number }).until, Date.parse(until));
    assert.equal((await closeOf(inA)).code, 4003);
    assert.equal((await closeOf(inB)).code, 4003);
    assert.equal((await t.adminFetch('/bans/everywhere', { method: 'DELETE' })).status, 200);
    // Acts on every room are logged in the moderation log of room "*".
    const log = await json(await t.adminFetch('/room/*/moderation'));
    const entries = log.data.entries as Array<{ action: string; target: string; seconds: number | null }>;
    assert.deepEqual(
      entries.filter((e) => e.target === 'everywhere').map((e) => e.action),
      ['unban', 'ban'],
    );
    assert.ok((entries.find((e) => e.action === 'ban')?.seconds ?? 0) > 3_500, 'the ban logs its length');
  });

  it('lets a user back in once a ban with an end has run out, without waiting for a refresh', async () => {
    const port = await t.createRoom('shortban');
    const { client } = await join(port, 'brief');
    const endsAt = Date.now() + 1_500;
    const res = await t.adminFetch('/bans', { method: 'POST', body: JSON.stringify({ user: 'brief', until: endsAt }) });
    assert.equal(res.status, 201);
    assert.equal((await closeOf(client)).code, 4003);
    const attempt = async (): Promise<'welcome' | 'refused'> => {
      const c = await TestClient.connect(port);
      c.send({ type: 'join', token: await joinToken('brief', 'brief') });
      const outcome = await Promise.race([
        c.next('welcome').then(() => 'welcome' as const),
        c.closed.then(() => 'refused' as const),
      ]);
      c.close();
      return outcome;
    };
    assert.equal(await attempt(), 'refused');
    await eventually(
      'joined after the ban ended',
      async () => Date.now() > endsAt && (await attempt()) === 'welcome',
      5_000,
    );
  });

  it('refuses bad ban bodies, naming the field', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{}, /"user"/],
      [{ user: '' }, /"user": must not be empty/],
      [{ user: 'u', room: '.hidden' }, /"room": must be a room name/],
      [{ user: 'u', until: '2001-01-01T00:00:00Z' }, /"until": must be in the future/],
      [{ user: 'u', until: 'tomorrow' }, /"until"/],
      [{ user: 'u', extra: true }, /extra/],
    ];
    for (const [payload, message] of cases) {
      const res = await t.adminFetch('/bans', { method: 'POST', body: JSON.stringify(payload) });
      assert.equal(res.status, 400, JSON.stringify(payload));
      assert.match((await json(res)).error!.message, message, JSON.stringify(payload));
    }
  });

  it('starts with the term file, and a changed term list reaches running rooms without restarting them', async () => {
    const seeded = await json(await t.adminFetch('/blocked-terms'));
    assert.ok((seeded.data.terms as string[]).includes('darn'), 'seeded from config/blocked-terms.txt');
    const port = await t.createRoom('terms');
    const { client } = await join(port, 'speaker');
    client.send({ type: 'message', text: 'zorp is fine for now', ref: 'before' });
    await client.next('ack', (f) => f.ref === 'before');
    const put = await t.adminFetch('/blocked-terms', {
      method: 'PUT',
      body: JSON.stringify({ terms: ['zorp', 'zorp'] }),
    });
    assert.deepEqual((await json(put)).data, { terms: ['zorp'] });
    client.send({ type: 'message', text: 'ZORP!', ref: 'after' });
    const refused = await client.next('error', (f: Frame) => f.ref === 'after');
    assert.equal(refused.code, 'BLOCKED_TERM');
    client.send({ type: 'message', text: 'darn it', ref: 'old' });
    await client.next('ack', (f) => f.ref === 'old');
    assert.deepEqual((await json(await t.adminFetch('/blocked-terms'))).data, { terms: ['zorp'] });
    const bad = await t.adminFetch('/blocked-terms', { method: 'PUT', body: JSON.stringify({ terms: ['ok', ''] }) });
    assert.equal(bad.status, 400);
    assert.match((await json(bad)).error!.message, /"terms\.1": must not be empty/);
    client.close();
  });

  it('refreshes the cache from the store on demand', async () => {
    const res = await t.adminFetch('/cache/refresh', { method: 'POST' });
    assert.equal(res.status, 200);
    const body = await json(res);
    assert.equal(body.data.refreshed, true);
    assert.equal(typeof body.data.lastRefreshAt, 'string');
  });

  it('reports the store in /load', async () => {
    const load = await json(await t.adminFetch('/load'));
    const store = load.data.store as Record<string, unknown>;
    assert.equal(store.kind, 'sqlite');
    assert.equal(store.state, 'up');
    assert.equal(store.dropped, 0);
  });
});

describe('bans across a restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'chatserver-bans-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps a ban added through the admin API after the server restarts', async () => {
    const env = { AUTH_SECRET, DATA_DIR: dataDir };
    const first = await startTestServer(env);
    await first.createRoom('keepout');
    const res = await first.adminFetch('/bans', {
      method: 'POST',
      body: JSON.stringify({ user: 'gone', room: 'keepout' }),
    });
    assert.equal(res.status, 201);
    await first.stop();
    const second = await startTestServer(env);
    const port = await second.createRoom('keepout');
    const client = await TestClient.connect(port);
    client.send({ type: 'join', token: await joinToken('gone', 'Gone') });
    assert.equal((await closeOf(client)).code, 4003);
    await eventually('ban listed', async () => {
      const list = await json(await second.adminFetch('/bans'));
      return (list.data.bans as Array<{ user: string }>).some((b) => b.user === 'gone');
    });
  });
});
