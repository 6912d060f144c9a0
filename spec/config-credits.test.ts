/** The paid-message settings: off by default, a secret required with the URL, a sane amount range. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';

const system = { fdLimit: 65_536, totalMemBytes: 8 * 2 ** 30 };
const base = { DATA_DIR: '/tmp/none', PORT: '0', ADMIN_PORT: '0' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...base, ...env }, system);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

it('leaves paid messages off without CREDIT_SERVICE_URL, and hands rooms their limits with it', () => {
  const off = loadConfig(base, system);
  assert.equal(off.creditService, null);
  assert.equal(off.limits.tips, undefined);
  const on = loadConfig(
    { ...base, CREDIT_SERVICE_URL: 'http://127.0.0.1:9/debit', CREDIT_SERVICE_SECRET: 's', TIP_MAX: '500' },
    system,
  );
  assert.deepEqual(on.creditService, { url: 'http://127.0.0.1:9/debit', secret: 's', timeoutMs: 2000 });
  assert.deepEqual(on.limits.tips, { min: 1, max: 500, pinMsPerCredit: 1000 });
});

it('names each problem with the credit settings', () => {
  const found = problems({ CREDIT_SERVICE_URL: 'ftp://x', CREDIT_TIMEOUT_MS: '10', TIP_MIN: '9', TIP_MAX: '3' });
  assert.ok(
    found.some((p) => p.startsWith('CREDIT_SERVICE_URL=')),
    found.join('\n'),
  );
  assert.ok(
    found.some((p) => p.startsWith('CREDIT_TIMEOUT_MS=')),
    found.join('\n'),
  );
  assert.ok(found.includes('TIP_MIN: must not be above TIP_MAX'), found.join('\n'));
  assert.ok(
    problems({ CREDIT_SERVICE_URL: 'http://127.0.0.1:9/' }).some((p) => p.startsWith('CREDIT_SERVICE_SECRET:')),
  );
});
