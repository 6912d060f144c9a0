import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JoinAdmission, MAX_RETRY_AFTER_S } from '../../../src/room/join-admission.js';
import { FakeClock } from '../fakes.js';

const admitted = (a: JoinAdmission, n: number) => Array.from({ length: n }, () => a.admit().admitted);

describe('room unit: join admission', () => {
  it('admits a burst at once, then refuses with a Retry-After of at least one second', () => {
    const clock = new FakeClock();
    const admission = new JoinAdmission(10, 5, clock);
    assert.deepEqual(admitted(admission, 5), [true, true, true, true, true]);
    const refusal = admission.admit();
    assert.deepEqual(refusal, { admitted: false, retryAfterS: 1 });
    assert.equal(admission.refused, 1);
  });

  it('refills at the configured rate, never past the burst', () => {
    const clock = new FakeClock();
    const admission = new JoinAdmission(10, 5, clock);
    admitted(admission, 5);
    clock.advance(300); // three tokens back
    assert.deepEqual(admitted(admission, 4), [true, true, true, false]);
    clock.advance(60_000); // a minute idle refills to the burst only
    assert.deepEqual(admitted(admission, 6), [true, true, true, true, true, false]);
  });

  it('spreads the refused over the seconds ahead instead of sending them all back at once', () => {
    const clock = new FakeClock();
    const admission = new JoinAdmission(100, 100, clock);
    admitted(admission, 100);
    const waits = Array.from({ length: 300 }, () => {
      const a = admission.admit();
      return a.admitted ? 0 : a.retryAfterS;
    });
    // 100 a second: the first 100 refused come back after 1 s, the next after 2 s, then 3 s.
    assert.deepEqual(
      [1, 2, 3].map((s) => waits.filter((w) => w === s).length),
      [100, 100, 100],
    );
    assert.ok(
      waits.every((w, i) => i === 0 || w >= waits[i - 1]!),
      'later refusals never wait less',
    );
  });

  it('never tells a client to wait longer than the cap', () => {
    const clock = new FakeClock();
    const admission = new JoinAdmission(1, 1, clock);
    admitted(admission, 1);
    let last = 0;
    for (let i = 0; i < 100; i++) {
      const a = admission.admit();
      assert.equal(a.admitted, false);
      if (!a.admitted) last = a.retryAfterS;
    }
    assert.equal(last, MAX_RETRY_AFTER_S);
  });

  it('admits everyone when the rate is 0 (off)', () => {
    const admission = new JoinAdmission(0, 1, new FakeClock());
    assert.ok(admitted(admission, 10_000).every(Boolean));
    assert.equal(admission.enabled, false);
  });
});
