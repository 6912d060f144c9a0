import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyBatch } from '../../src/store/store.js';
import { freshDataDir } from '../helpers/data-dir.js';
import { FaultyStore } from '../helpers/faulty-store.js';
import { startTestServer } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';
import { closeOf, TestClient } from '../helpers/ws-client.js';

describe('the master cache', () => {
  it('picks up a change made in the store on its periodic refresh and pushes it to running rooms', async () => {
    let store: FaultyStore | undefined;
    const t = await startTestServer({ CACHE_REFRESH_S: '1' }, { wrapStore: (s) => (store = new FaultyStore(s)) });
    const port = await t.createRoom('periodic');
    const { client, welcome } = await TestClient.join(port, { name: 'Sam' });
    const id = (welcome.you as { id: string }).id;
    // Another server sharing the store (or an operator) bans the user: no admin call here.
    const ban = { user: id, room: null, reason: 'elsewhere', by: 'admin', at: Date.now(), until: null };
    await store!.inner.writeBatch({ ...emptyBatch(), bans: [{ op: 'add', ban }] });
    assert.equal((await closeOf(client)).code, 4003);
  });

  it('reloads on POST /cache/refresh, so a term added in the store applies at once', async () => {
    let store: FaultyStore | undefined;
    const t = await startTestServer({}, { wrapStore: (s) => (store = new FaultyStore(s)) });
    const port = await t.createRoom('ondemand');
    const { client } = await TestClient.join(port, { name: 'Ola' });
    await store!.inner.setBlockedTerms(['quux']);
    assert.equal((await t.adminFetch('/cache/refresh', { method: 'POST' })).status, 200);
    // The refresh has pushed the lists to the room when it answers; the room's thread applies them on
    // its next turn, which a message on its own socket may beat: sent again until refused, well
    // before the periodic refresh (CACHE_REFRESH_S, 60 s) could have done it.
    let attempt = 0;
    let sent: string | undefined;
    const refused = await eventually(
      'the refreshed term refused',
      () => {
        const answer = client.frames.find((f) => (f.type === 'ack' || f.type === 'error') && f.ref === sent);
        if (answer?.type === 'error') return answer;
        if (sent === undefined || answer !== undefined) {
          sent = `q${++attempt}`;
          client.send({ type: 'message', text: 'quux', ref: sent });
        }
        return undefined;
      },
      { timeoutMs: 5_000 },
    );
    assert.equal(refused.code, 'BLOCKED_TERM');
    client.close();
  });

  it('seeds the term list from the file only once: a saved list survives a restart', async () => {
    const dataDir = freshDataDir();
    const first = await startTestServer({ DATA_DIR: dataDir });
    const put = await first.adminFetch('/blocked-terms', { method: 'PUT', body: JSON.stringify({ terms: ['only'] }) });
    assert.equal(put.status, 200);
    await first.stop();
    const second = await startTestServer({ DATA_DIR: dataDir });
    const terms = (await (await second.adminFetch('/blocked-terms')).json()) as { data: { terms: string[] } };
    assert.deepEqual(terms.data.terms, ['only']);
  });
});
