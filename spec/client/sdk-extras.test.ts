/** The SDK's replies, actions, announcements, pins and tips against a real server and a loopback credit service. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { ChatClient, type ChatMessage, type PinnedFrame } from '../../src/client/sdk.js';
import { startCreditService } from '../helpers/credit-service.js';
import { startTestServer } from '../helpers/server.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';

const ROOM = 'sdkextras';
const SECRET = 'sdk-credit-secret';

describe('client SDK: replies, announcements, pins and tips', async () => {
  const credits = await startCreditService(SECRET);
  const t = await startTestServer({ AUTH_SECRET, CREDIT_SERVICE_URL: credits.url, CREDIT_SERVICE_SECRET: SECRET });
  const url = `ws://127.0.0.1:${await t.createRoom(ROOM)}/`;
  const opened: ChatClient[] = [];
  after(() => opened.forEach((c) => c.close()));
  const joined = async (sub: string, role: string) => {
    const c = new ChatClient({ url, WebSocket });
    opened.push(c);
    await c.join({ token: await token({ sub, name: sub, role, room: ROOM }) });
    return c;
  };
  const next = <T>(c: ChatClient, event: 'message' | 'pinned' | 'unpinned', test: (f: T) => boolean = () => true) =>
    new Promise<T>((resolve) => {
      const listener = (frame: T) => {
        if (!test(frame)) return;
        c.off(event, listener as never);
        resolve(frame);
      };
      c.on(event, listener as never);
    });

  it('sends a reply and an action line, announces, pins and unpins, and pays a tip once', async () => {
    const mod = await joined('mona', 'mod');
    const viewer = await joined('val', 'viewer');
    const parent = await viewer.send('first');
    assert.ok(parent.ok);
    const seen = next<ChatMessage>(viewer, 'message', (m) => m.text === 'waves back');
    const reply = await mod.send('waves back', undefined, { replyTo: parent.id, action: true });
    assert.ok(reply.ok);
    const line = await seen;
    assert.equal(line.reply?.id, parent.id);
    assert.equal(line.action, true);

    const announced = next<ChatMessage>(viewer, 'message', (m) => m.announcement === 'purple');
    assert.ok((await mod.announce('schedule change', 'purple')).ok);
    assert.equal((await announced).text, 'schedule change');
    assert.equal((await viewer.announce('me too')).ok, false, 'a viewer may not announce');

    const pinned = next<PinnedFrame>(viewer, 'pinned');
    assert.equal(mod.pin(parent.id, 60), true);
    assert.equal((await pinned).message.id, parent.id);
    const unpinned = next(viewer, 'unpinned');
    mod.unpin();
    await unpinned;

    const paid = await viewer.tip(25, 'for the team', 'tip-1');
    assert.ok(paid.ok, JSON.stringify(paid));
    const again = await viewer.tip(25, 'for the team', 'tip-1');
    assert.deepEqual(again, paid, 'the same ref answers with the same message');
    assert.equal(credits.requests.length, 1);
  });
});
