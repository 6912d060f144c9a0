import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { CircuitBreaker, CircuitOpenError } from '../../src/master/circuit-breaker.js';

const ok = () => Promise.resolve('ok');
const boom = () => Promise.reject(new Error('boom'));
const settle = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: Error) => (e instanceof CircuitOpenError ? 'refused' : 'failed'),
  );

/** The breaker reads Date.now(): a mocked Date moves its clock without waiting. */
function fakeClock(t: TestContext): (ms: number) => void {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  return (ms) => t.mock.timers.tick(ms);
}

describe('circuit breaker', () => {
  it('opens after three failures in a row and then refuses without calling', async () => {
    const changes: string[] = [];
    const breaker = new CircuitBreaker({ onStateChange: (s, p) => changes.push(`${p}->${s}`) });
    assert.equal(await settle(breaker.run(boom)), 'failed');
    assert.equal(await settle(breaker.run(boom)), 'failed');
    assert.equal(breaker.state, 'closed');
    assert.equal(await settle(breaker.run(boom)), 'failed');
    assert.equal(breaker.state, 'open');
    let called = false;
    const result = await settle(breaker.run(() => ((called = true), ok())));
    assert.equal(result, 'refused');
    assert.equal(called, false);
    assert.deepEqual(changes, ['closed->open']);
  });

  it('counts only failures in a row: a success in between starts the count again', async () => {
    const breaker = new CircuitBreaker();
    for (const call of [boom, boom, ok, boom, boom]) await settle(breaker.run(call));
    assert.equal(breaker.state, 'closed');
  });

  it('lets one trial through after the cool-down and closes when it succeeds', async (t) => {
    const advance = fakeClock(t);
    const changes: string[] = [];
    const breaker = new CircuitBreaker({ coolDownMs: 50, onStateChange: (s) => changes.push(s) });
    for (let i = 0; i < 3; i++) await settle(breaker.run(boom));
    advance(49);
    assert.equal(breaker.state, 'open');
    advance(1);
    assert.equal(breaker.state, 'half-open');
    let release: () => void = () => undefined;
    const trial = breaker.run(() => new Promise<string>((r) => (release = () => r('ok'))));
    // While the trial is in flight, everything else is refused.
    assert.equal(await settle(breaker.run(ok)), 'refused');
    release();
    assert.equal(await trial, 'ok');
    assert.equal(breaker.state, 'closed');
    assert.deepEqual(changes, ['open', 'half-open', 'closed']);
  });

  it('opens again at once when the trial fails', async (t) => {
    const advance = fakeClock(t);
    const breaker = new CircuitBreaker({ coolDownMs: 50 });
    for (let i = 0; i < 3; i++) await settle(breaker.run(boom));
    advance(49);
    assert.equal(breaker.state, 'open');
    advance(1);
    assert.equal(breaker.state, 'half-open');
    assert.equal(await settle(breaker.run(boom)), 'failed');
    assert.equal(breaker.state, 'open');
    assert.ok(breaker.msUntilTrial() > 0);
  });
});
