/**
 * A DATA_DIR the embedded store cannot use stops the process with exit 1 and a
 * message naming DATA_DIR, the path and why. Tests run as root, which mode bits
 * do not stop, so the read-only places are real ones: a directory under /proc
 * (which allows no new entries even to root), a file where the directory should
 * be, and a read-only bind mount where the machine allows mounting (skipped, and
 * said so, where it does not).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { freshDataDir } from './helpers/data-dir.js';
import { CHAT_MAIN, runToEnd } from './helpers/processes.js';

const env = { KEY: 'k-data-dir', ADMIN_KEY: 'a-data-dir', PORT: '0', ADMIN_PORT: '0', NODE_ENV: 'production' };
const start = (dataDir: string) => runToEnd([process.execPath, CHAT_MAIN.pathname], { ...env, DATA_DIR: dataDir });

/** Mounts `dir` read-only onto itself; false where this machine does not allow it. */
function mountReadOnly(dir: string): boolean {
  try {
    execFileSync('mount', ['--bind', '-o', 'ro', dir, dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('DATA_DIR that cannot be used', () => {
  it('names a DATA_DIR on a file system that allows no new directory as read-only, exit 1', async () => {
    const dataDir = '/proc/chatserver-test/data';
    const { code, stderr } = await start(dataDir);
    assert.equal(code, 1);
    assert.match(stderr, /^chatserver: DATA_DIR=\/proc\/chatserver-test\/data: .*\/proc is read-only/m);
    assert.doesNotMatch(stderr, /ENOENT|at .*\.js:\d+/, 'no raw error code or stack');
  });

  it('names a file where DATA_DIR should be as not a directory, exit 1', async () => {
    const file = join(freshDataDir(), 'not-a-dir');
    writeFileSync(file, 'x');
    const { code, stderr } = await start(file);
    assert.equal(code, 1);
    assert.ok(stderr.includes(`DATA_DIR=${file}: cannot open the embedded store: ${file} is not a directory`), stderr);
    const under = join(file, 'data');
    const nested = await start(under);
    assert.equal(nested.code, 1);
    assert.ok(
      nested.stderr.includes(`DATA_DIR=${under}:`) && nested.stderr.includes('is not a directory'),
      nested.stderr,
    );
  });

  it('names a read-only mounted DATA_DIR holding a database as read-only, exit 1', async (t) => {
    const dataDir = join(freshDataDir(), 'ro');
    mkdirSync(dataDir);
    new Database(join(dataDir, 'chatserver.db')).close();
    if (!mountReadOnly(dataDir)) {
      t.skip('mount --bind -o ro is not allowed here (needs root with CAP_SYS_ADMIN)');
      return;
    }
    try {
      const { code, stderr } = await start(dataDir);
      assert.equal(code, 1);
      assert.ok(
        stderr.includes(`DATA_DIR=${dataDir}: cannot open the embedded store: ${dataDir} is read-only`),
        stderr,
      );
    } finally {
      execFileSync('umount', [dataDir]);
    }
  });
});
