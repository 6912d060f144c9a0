import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseTokenArgs, signJoinToken, UsageError } from '../../scripts/token.js';
import { startTestServer } from '../helpers/server.js';
import { TestClient } from '../helpers/ws-client.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/token.js', import.meta.url));
const run = (args: string[], env: Record<string, string>) =>
  promisify(execFile)(process.execPath, [SCRIPT, ...args], {
    cwd: tmpdir(), // away from any .env of the checkout
    env: { PATH: process.env.PATH ?? '', ...env },
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

describe('npm run token', async () => {
  const t = await startTestServer({ AUTH_SECRET: 'token-secret' });
  const port = await t.createRoom('testroom');

  it('prints a token the room accepts as that user, with that role', async () => {
    const out = await run(['--sub', 'u1', '--name', 'Ann', '--role', 'host', '--room', 'testroom'], {
      AUTH_SECRET: 'token-secret',
    });
    assert.equal(out.code, 0, out.stderr);
    const { client, welcome } = await TestClient.join(port, { token: out.stdout.trim() });
    client.close();
    assert.deepEqual(welcome.you, { id: 'u1', name: 'Ann', role: 'host' });
  });

  it('signs followedAt and subscriber for the chat modes', async () => {
    const args = ['--sub', 'f1', '--name', 'Fay', '--followed', '30m', '--subscriber'];
    const request = parseTokenArgs(args);
    assert.equal(request.followedSecondsAgo, 1800);
    assert.equal(request.subscriber, true);
    const jwt = await signJoinToken(request, 'token-secret', 1_800_000_000_000);
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    assert.equal(claims.followedAt, 1_800_000_000 - 1800);
    assert.equal(claims.subscriber, true);
    assert.throws(() => parseTokenArgs([...args.slice(0, 4), '--followed', 'soon']), /--followed "soon"/);
  });

  it('refuses bad arguments with every problem named, exit code 2', async () => {
    const out = await run(['--name', '', '--role', 'boss', '--ttl', 'soon'], { AUTH_SECRET: 'x' });
    assert.equal(out.code, 2);
    assert.match(out.stderr, /--sub: a user id/);
    assert.match(out.stderr, /--name: a display name/);
    assert.match(out.stderr, /--role "boss": must be viewer, mod or host/);
    assert.match(out.stderr, /--ttl "soon"/);
    assert.equal(out.stdout, '');
  });

  it('says so when AUTH_SECRET is missing', async () => {
    const out = await run(['--sub', 'u1', '--name', 'Ann'], {});
    assert.equal(out.code, 2);
    assert.match(out.stderr, /AUTH_SECRET is not set/);
  });

  it('requires --room for mod and host, and refuses unknown options', () => {
    assert.throws(() => parseTokenArgs(['--sub', 'u', '--name', 'N', '--role', 'mod']), /--room: required/);
    assert.throws(() => parseTokenArgs(['--sub', 'u', '--name', 'N', '--colour', 'red']), UsageError);
    assert.deepEqual(parseTokenArgs(['--sub', 'u', '--name', 'N', '--ttl', '2h']), {
      sub: 'u',
      name: 'N',
      role: 'viewer',
      ttlSeconds: 7200,
    });
  });
});
