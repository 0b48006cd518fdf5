// The one retry/backoff policy: delays grow as initial·2^attempt up to max, spread by the configured jitter;
// each jitter reproduces the loop it replaces (reflector: equal; OTLP push: ±20 %; sidecar final flush: none).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from '@kso/watch/backoff';

/** Delays of `n` consecutive failures with a fixed random draw. */
const delays = (o: ConstructorParameters<typeof Backoff>[0], random: number, n = 8) => {
  const b = new Backoff(o, () => random);
  return Array.from({ length: n }, () => b.next());
};

test('equal jitter (default): half fixed, half random, capped at max; reset starts over', () => {
  assert.deepEqual(delays({ initialMs: 100, maxMs: 1000 }, 0), [50, 100, 200, 400, 500, 500, 500, 500]);
  assert.deepEqual(delays({ initialMs: 100, maxMs: 1000 }, 1), [100, 200, 400, 800, 1000, 1000, 1000, 1000]);
  const b = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 0.5);
  b.next();
  b.next();
  assert.equal(b.attempt, 2);
  b.reset();
  assert.equal(b.next(), 75);
});

test("'none': the sidecar's final-flush sequence (250 ms doubling to 2 s), exactly", () => {
  assert.deepEqual(delays({ initialMs: 250, maxMs: 2000, jitter: 'none' }, 0.7, 6), [250, 500, 1000, 2000, 2000, 2000]);
});

test("ratio 0.2: the OTLP exporter's min(backoff, max)·(0.8 + 0.4·random)", () => {
  for (const r of [0, 0.25, 0.5, 1]) {
    let backoff = 1000;
    const expected: number[] = [];
    for (let i = 0; i < 8; i++) {
      expected.push(Math.round(Math.min(backoff, 5000) * (0.8 + r * 0.4)));
      backoff *= 2;
    }
    assert.deepEqual(delays({ initialMs: 1000, maxMs: 5000, jitter: 0.2 }, r), expected);
  }
});

test('invalid settings are refused with the reason', () => {
  assert.throws(() => new Backoff({ initialMs: 0 }), /0 < initialMs <= maxMs/);
  assert.throws(() => new Backoff({ initialMs: 10, maxMs: 5 }), /0 < initialMs <= maxMs/);
  assert.throws(() => new Backoff({ jitter: 2 }), /jitter ratio/);
});
