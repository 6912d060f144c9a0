import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { GUEST_SECRET_FILE, guestSecret } from '../../src/master/guest-secret.js';
import { freshDataDir } from '../helpers/data-dir.js';

describe('the guest secret', () => {
  it('is GUEST_SECRET when set, else made once in DATA_DIR and read again on every later start', () => {
    const dir = join(freshDataDir(), 'nested');
    assert.equal(guestSecret('configured', dir), 'configured');
    const made = guestSecret('', dir);
    assert.ok(made.length >= 40);
    assert.equal(guestSecret('', dir), made, 'the same after a restart');
    assert.equal(readFileSync(join(dir, GUEST_SECRET_FILE), 'utf8').trim(), made);
    assert.equal(statSync(join(dir, GUEST_SECRET_FILE)).mode & 0o077, 0, 'readable by the server only');
  });
});
