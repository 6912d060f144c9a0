/** The readiness checks: all run under one deadline; a hanging or throwing check fails, named. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Readiness } from '../../src/master/readiness.js';

describe('Readiness', () => {
  it('is ok with no checks, and with every check ok, listing them in the order added', async () => {
    const readiness = new Readiness();
    assert.deepEqual(await readiness.report(), { ok: true, checks: [] });
    readiness.add('store', async () => ({ ok: true, detail: 'sqlite' }));
    readiness.add('accepting', () => ({ ok: true }));
    assert.deepEqual(await readiness.report(), {
      ok: true,
      checks: [
        { name: 'store', ok: true, detail: 'sqlite' },
        { name: 'accepting', ok: true },
      ],
    });
  });

  it('counts a check with no answer by the deadline as failing, and still reports the others', async () => {
    const readiness = new Readiness();
    readiness.add('store', () => new Promise(() => undefined));
    readiness.add('accepting', () => ({ ok: true }));
    const report = await readiness.report(50);
    assert.equal(report.ok, false);
    assert.deepEqual(report.checks, [
      { name: 'store', ok: false, detail: 'no answer in 50 ms' },
      { name: 'accepting', ok: true },
    ]);
  });

  it('counts a check that throws or rejects as failing, with its message', async () => {
    const readiness = new Readiness();
    readiness.add('sync', () => {
      throw new Error('boom');
    });
    readiness.add('async', () => Promise.reject(new Error('refused')));
    const report = await readiness.report();
    assert.deepEqual(report, {
      ok: false,
      checks: [
        { name: 'sync', ok: false, detail: 'boom' },
        { name: 'async', ok: false, detail: 'refused' },
      ],
    });
  });

  it('refuses a name used twice or not a plain lower-case word', () => {
    const readiness = new Readiness();
    readiness.add('cluster', () => ({ ok: true }));
    assert.throws(() => readiness.add('cluster', () => ({ ok: true })), /"cluster" is already registered/);
    assert.throws(
      () => readiness.add('Store DB', () => ({ ok: true })),
      /lower-case letters, digits and dashes: "Store DB"/,
    );
  });
});
