// Chaos with an oracle (issue 15), a few short seeds per CI run: every fault kube-sim offers under writes of
// every kind, then every agent (unsharded, static shards, autosharding with a live view switch) must agree
// with kube-sim's own state, object by object, and its /metrics with a fresh agent's. A failure names the
// seed, the first differing object and the faults around its last write; `npm run soak` runs many more.
// KSO_CHAOS_SEEDS / KSO_CHAOS_FIRST_SEED / KSO_CHAOS_SECONDS widen it (CI varies the first seed per run).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RESOURCES, runChaos } from '../chaos/harness.ts';

const SEEDS = Number(process.env.KSO_CHAOS_SEEDS ?? 4);
const FIRST = Number(process.env.KSO_CHAOS_FIRST_SEED ?? Date.now() % 100_000);
const SECONDS = Number(process.env.KSO_CHAOS_SECONDS ?? 8);

describe(`chaos with an oracle: ${SEEDS} seeds from ${FIRST}, ${SECONDS}s each`, () => {
  for (let seed = FIRST; seed < FIRST + SEEDS; seed++)
    test(`seed ${seed}: zero divergence after convergence; /healthz keeps its bound`, async () => {
      const r = await runChaos({
        seed,
        seconds: SECONDS,
        pods: 150,
        jobs: 15,
        cronJobs: 4,
        writesPerSecond: 55,
        faultGapMs: [300, 900],
        latencyWindowMs: 1000,
        stallWindowMs: 1500,
        convergeTimeoutMs: 30_000,
      });
      const conv = RESOURCES.map((x) => `${x} ${r.convergeMs[x]} ms`).join(', ');
      console.log(`seed ${seed}: converged ${conv}; ${r.writes} writes; faults ${JSON.stringify(r.faults)}`);
      assert.equal(r.divergence, undefined, r.divergence);
      assert.equal(r.healthFailures, 0, `seed ${seed}: /healthz failed during the chaos`);
      assert.ok(Object.values(r.faults).reduce((a, b) => a + b, 0) >= 3, `seed ${seed}: too few faults injected`);
    });

  test('the oracle catches a store that loses deletes, naming the object, its RVs and the faults around it', async () => {
    const r = await runChaos({
      seed: FIRST,
      seconds: 3,
      pods: 60,
      jobs: 6,
      cronJobs: 2,
      faultGapMs: [300, 900],
      latencyWindowMs: 500,
      stallWindowMs: 500,
      convergeTimeoutMs: 3000,
      sabotage: 'lose-deletes',
    });
    assert.match(r.divergence ?? '', new RegExp(`^seed ${FIRST}: full pods still differs`));
    assert.match(r.divergence ?? '', /first differing object: Pod \S+ \(extra\)/);
    assert.match(r.divergence ?? '', /resourceVersion: server \(deleted\), held by the reflector \(none\)/);
    // The delete the store lost is either the writer's or one of the relist deletes of a restart that lost
    // kube-sim's state (when the seed draws one): both are deletes, and both must be named with their time.
    assert.match(r.divergence ?? '', /last write: (delete|wiped by restartLosingState) at \+\d+ ms rv \d+/);
    assert.match(r.divergence ?? '', /faults within 5 s of it: /);
  });
});
