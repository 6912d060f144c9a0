/**
 * Paid messages over real connections and a loopback credit service
 * (spec/helpers/credit-service.ts): shown only after a 2xx, exactly once however
 * often the same ref is sent, refused in the protocol's words otherwise; the
 * service hanging or failing never holds up ordinary chat; the admin API lists
 * what the service answered.
 */
import assert from 'node:assert/strict';
import { before, beforeEach, describe, it } from 'node:test';
import { startCreditService } from '../helpers/credit-service.js';
import { startTestServer } from '../helpers/server.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';
import { type Frame, TestClient } from '../helpers/ws-client.js';

const ROOM = 'tiproom';
const SECRET = 'credit-secret';
const PIN_MS_PER_CREDIT = 100;

async function as(port: number, sub: string, role = 'viewer'): Promise<TestClient> {
  const { client } = await TestClient.join(port, { token: await token({ sub, name: sub, role, room: ROOM }) });
  return client;
}

function tipsShown(client: TestClient, ref: string): Frame[] {
  return client.frames.filter((f) => f.type === 'message' && f.tip !== undefined && f.text === ref);
}

describe('paid messages', async () => {
  const credits = await startCreditService(SECRET);
  const t = await startTestServer({
    AUTH_SECRET,
    ALLOW_GUESTS: 'on',
    CREDIT_SERVICE_URL: credits.url,
    CREDIT_SERVICE_SECRET: SECRET,
    CREDIT_TIMEOUT_MS: '300',
    TIP_PIN_MS_PER_CREDIT: String(PIN_MS_PER_CREDIT),
    TIP_MIN: '10',
    TIP_MAX: '1000',
  });
  let port = 0;
  before(async () => {
    port = await t.createRoom(ROOM);
  });
  beforeEach(() => {
    credits.mode = 'ok';
  });

  it('debits a signed request, then shows the message with its tip to everyone and pins it for amount × TIP_PIN_MS_PER_CREDIT', async () => {
    const { client: payer, welcome } = await TestClient.join(port, {
      token: await token({ sub: 'payer1', name: 'payer1', room: ROOM }),
    });
    assert.deepEqual((welcome.settings as Frame).tips, { min: 10, max: 1000 }, 'the welcome says what a tip may be');
    const watcher = await as(port, 'watcher1');
    payer.send({ type: 'tip', amount: 500, text: 'great stream', ref: 'c1' });
    const shown = await watcher.next('message', (f) => f.text === 'great stream');
    assert.deepEqual(shown.tip, { amount: 500 });
    const ack = await payer.next('ack', (f) => f.ref === 'c1');
    assert.equal(ack.id, shown.id);
    const pinned = await watcher.next('pinned');
    assert.equal((pinned.message as Frame).id, shown.id);
    assert.equal(pinned.until, (shown.ts as number) + 500 * PIN_MS_PER_CREDIT);
    const body = credits.requests.at(-1)!;
    assert.deepEqual(
      { user: body.user, room: body.room, amount: body.amount },
      { user: 'payer1', room: ROOM, amount: 500 },
    );
    assert.match(body.id, /^tip_[0-9a-f]{40}$/);
    assert.equal(credits.debits.get(body.id), 1);
    assert.equal(credits.badSignatures, 0);
    for (const c of [payer, watcher]) c.close();
  });

  it('answers the same ref again with the first id, without calling the service or showing it twice', async () => {
    const payer = await as(port, 'payer2');
    const watcher = await as(port, 'watcher2');
    payer.send({ type: 'tip', amount: 50, text: 'twice?', ref: 'same' });
    const first = await payer.next('ack', (f) => f.ref === 'same');
    const calls = credits.requests.length;
    payer.send({ type: 'tip', amount: 50, text: 'twice?', ref: 'same' });
    const again = await payer.next('ack', (f) => f.ref === 'same');
    assert.equal(again.id, first.id);
    assert.equal(credits.requests.length, calls, 'a shown tip is not debited again');
    // A later frame from the watcher's own connection comes after anything the room sent it before.
    watcher.send({ type: 'message', text: 'sync' });
    await watcher.next('message', (f) => f.text === 'sync');
    assert.equal(tipsShown(watcher, 'twice?').length, 1);
    for (const c of [payer, watcher]) c.close();
  });

  it('after a timeout, a retry with the same ref shows the tip once and the service counts one debit', async () => {
    const payer = await as(port, 'payer3');
    const watcher = await as(port, 'watcher3');
    credits.mode = 'debit-then-hang';
    payer.send({ type: 'tip', amount: 100, text: 'retry me', ref: 'r1' });
    const timedOut = await payer.next('error', (f) => f.ref === 'r1');
    assert.equal(timedOut.code, 'UNAVAILABLE');
    assert.ok(typeof timedOut.retryAfterMs === 'number' && timedOut.retryAfterMs > 0);
    assert.equal(tipsShown(watcher, 'retry me').length, 0, 'never shown unpaid');
    credits.mode = 'ok';
    // Retried as a client would: again after each UNAVAILABLE (a busy machine can make
    // even the answering service miss the 300 ms deadline), never with a new ref.
    let shown: Frame | undefined;
    for (let attempt = 0; shown === undefined && attempt < 10; attempt++) {
      payer.send({ type: 'tip', amount: 100, text: 'retry me', ref: 'r1' });
      const answer = await Promise.race([
        watcher.next('message', (f) => f.text === 'retry me'),
        payer.next('error', (f) => f.ref === 'r1'),
      ]);
      if (answer.type === 'message') shown = answer;
      else await new Promise((resolve) => setTimeout(resolve, Number(answer.retryAfterMs) || 100));
    }
    assert.ok(shown, 'shown once the service answers');
    assert.deepEqual(shown.tip, { amount: 100 });
    const key = credits.requests.at(-1)!.id;
    assert.ok(credits.requests.filter((r) => r.id === key).length >= 2, 'asked again with the same key');
    assert.equal(credits.debits.get(key), 1, 'debited once');
    watcher.send({ type: 'message', text: 'sync3' });
    await watcher.next('message', (f) => f.text === 'sync3');
    assert.equal(tipsShown(watcher, 'retry me').length, 1);
    for (const c of [payer, watcher]) c.close();
  });

  it('refuses in the protocol words: 402 INSUFFICIENT_CREDITS, 403 TIP_REFUSED with the reason, 500 UNAVAILABLE', async () => {
    const payer = await as(port, 'payer4');
    credits.mode = 'insufficient';
    payer.send({ type: 'tip', amount: 20, text: 'poor', ref: 'p1' });
    const poor = await payer.next('error', (f) => f.ref === 'p1');
    assert.equal(poor.code, 'INSUFFICIENT_CREDITS');
    assert.equal(poor.message, 'balance too low');
    credits.mode = 'refuse';
    payer.send({ type: 'tip', amount: 20, text: 'suspended', ref: 'p2' });
    const refused = await payer.next('error', (f) => f.ref === 'p2');
    assert.equal(refused.code, 'TIP_REFUSED');
    assert.equal(refused.message, 'account suspended');
    credits.mode = 'fail';
    payer.send({ type: 'tip', amount: 20, text: 'down', ref: 'p3' });
    const down = await payer.next('error', (f) => f.ref === 'p3');
    assert.equal(down.code, 'UNAVAILABLE');
    assert.ok(typeof down.retryAfterMs === 'number');
    assert.equal(payer.frames.filter((f) => f.type === 'message' && f.tip !== undefined).length, 0);
    payer.close();
  });

  it('checks the frame and the sender: a guest is FORBIDDEN; an amount outside TIP_MIN–TIP_MAX or no ref is BAD_FRAME', async () => {
    const { client: guest } = await TestClient.join(port, { name: 'Guesty' });
    guest.send({ type: 'tip', amount: 100, text: 'hi', ref: 'g1' });
    assert.equal((await guest.next('error', (f) => f.ref === 'g1')).code, 'FORBIDDEN');
    const payer = await as(port, 'payer5');
    const calls = credits.requests.length;
    payer.send({ type: 'tip', amount: 5, text: 'small', ref: 'b1' });
    const small = await payer.next('error', (f) => f.ref === 'b1');
    assert.equal(small.code, 'BAD_FRAME');
    assert.match(String(small.message), /10 to 1000/);
    payer.send({ type: 'tip', amount: 5000, text: 'big', ref: 'b2' });
    assert.equal((await payer.next('error', (f) => f.ref === 'b2')).code, 'BAD_FRAME');
    payer.send({ type: 'tip', amount: 50, text: 'no ref' });
    assert.match(String((await payer.next('error')).message), /"ref" is required/);
    assert.equal(credits.requests.length, calls, 'nothing refused here reaches the service');
    for (const c of [guest, payer]) c.close();
  });

  it('lists what the service answered on GET /api/v1/room/:name/tips', async () => {
    const res = await t.adminFetch(`/room/${ROOM}/tips?limit=100`);
    assert.equal(res.status, 200);
    const { data } = (await res.json()) as { data: { tips: Array<Record<string, unknown>>; next: unknown } };
    const paid = data.tips.find((tip) => (tip.user as { id: string }).id === 'payer1');
    assert.ok(paid, JSON.stringify(data.tips).slice(0, 400));
    assert.equal(paid.amount, 500);
    assert.equal(typeof paid.messageId, 'number');
    assert.deepEqual(paid.answer, { status: 200, outcome: 'paid', reason: '' });
    const poor = data.tips.find((tip) => (tip.answer as { outcome: string }).outcome === 'insufficient');
    assert.equal(poor?.messageId, null);
    assert.equal((poor?.answer as { status: number }).status, 402);
    assert.equal(data.next, null);
    const bad = await t.adminFetch(`/room/${ROOM}/tips?limit=0`);
    assert.equal(bad.status, 400);
  });

  it('keeps ordinary chat flowing while the service hangs, and opens the circuit after failures in a row', async () => {
    const payer = await as(port, 'payer6');
    const chatter = await as(port, 'chatter6');
    credits.mode = 'hang';
    payer.send({ type: 'tip', amount: 30, text: 'stuck', ref: 'h1' });
    // While the tip waits on the service, plain messages go through.
    chatter.send({ type: 'message', text: 'meanwhile' });
    await payer.next('message', (f) => f.text === 'meanwhile');
    assert.equal((await payer.next('error', (f) => f.ref === 'h1')).code, 'UNAVAILABLE');
    for (const ref of ['h2', 'h3']) {
      payer.send({ type: 'tip', amount: 30, text: 'stuck', ref });
      assert.equal((await payer.next('error', (f) => f.ref === ref)).code, 'UNAVAILABLE');
    }
    const asked = credits.requests.length;
    payer.send({ type: 'tip', amount: 30, text: 'stuck', ref: 'h4' });
    const open = await payer.next('error', (f) => f.ref === 'h4');
    assert.equal(open.code, 'UNAVAILABLE');
    assert.match(String(open.message), /unavailable/);
    assert.ok((open.retryAfterMs as number) > 1000, 'an open circuit says to wait for its cool-down');
    assert.equal(credits.requests.length, asked, 'an open circuit does not call');
    for (const c of [payer, chatter]) c.close();
  });
});
