// Gzip from kept compressed pieces (otlp-deflate.ts): whatever changed between pushes and whatever the push
// time, the member a request sends must inflate to exactly the uncompressed request, since a Collector decodes
// it as one gzip stream; pieces must be reused when their bytes did not change (the point of keeping them) and
// compressed again when they or their dictionary did.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { MetricsStore } from '@kso/metrics';
import { StoreEncoder, scopeFor } from '../src/index.ts';
import { deflateConfig, deflateStats } from '../src/otlp-deflate.ts';
import { releaseRuns } from '../src/output-runs.ts';

/** Reproducible choices in [0, 1): the n-th is a hash of (seed, n), so a failing case replays. */
function choices(seed: string): () => number {
  let n = 0;
  return () => createHash('sha256').update(`${seed}:${n++}`).digest().readUInt32LE(0) / 4294967296;
}

function pod(i: number, restarts: number, phase = 'Running') {
  return {
    metadata: { name: `p-${i}`, namespace: `ns-${i % 5}`, uid: `pod-${i}`, labels: { app: `a${i % 3}` } },
    spec: { nodeName: `node-${i % 7}`, containers: [{ name: 'main' }, ...(i % 2 ? [{ name: 'side' }] : [])] },
    status: {
      phase,
      containerStatuses: [{ name: 'main', restartCount: restarts, ready: true, state: { running: {} } }],
    },
  };
}

function job(i: number, active: number) {
  return { metadata: { name: `j-${i}`, namespace: 'ns-0', uid: `job-${i}` }, spec: {}, status: { active } };
}

/** A request body not given back, and the bytes it must still inflate to. */
type Held = { member: Buffer[]; want: Buffer };

/**
 * Plans a push and checks every request's gzip member; then gives its runs back as the transport does, except
 * for the first member when `held` is given (kept there with its request's bytes).
 */
async function checkPush(enc: StoreEncoder, store: MetricsStore, nowMs: number, maxBytes: number, held?: Held[]) {
  const reqs = enc.plan(store, nowMs, { maxBytes, maxPoints: 50_000 }, undefined, { 'service.name': 'kso' }, {});
  for (const [i, r] of reqs.entries()) {
    const member = await r.gzip();
    const want = r.write();
    assert.ok(gunzipSync(Buffer.concat(member)).equals(want), 'the gzip member inflates to the request');
    if (held && i === 0) held.push({ member, want: Buffer.from(want) });
    else releaseRuns(member);
  }
  return reqs.length;
}

// Kept zlib handles (the default) and the one-shot functions they replace where Node lacks the binding's write.
for (const [schema, reuse] of [
  ['ksm', true],
  ['semconv', true],
  ['ksm', false],
] as const)
  test(`gzip from kept pieces (${schema}${reuse ? '' : ', one-shot zlib'}): random changes and push times inflate to the exact request`, async (ctx) => {
    deflateConfig.reuseHandles = reuse;
    ctx.after(() => {
      deflateConfig.reuseHandles = true;
    });
    const rnd = choices(schema);
    const store = new MetricsStore({ schema, resources: ['jobs', 'pods'], now: () => 1_700_000_000_000 });
    const restarts = new Map<number, number>();
    let next = 0;
    for (; next < 400; next++) {
      store.upsertObject('pods', pod(next, 0));
      restarts.set(next, 0);
    }
    for (let i = 0; i < 30; i++) store.upsertObject('jobs', job(i, 1));
    const scope = scopeFor(schema);
    const enc = new StoreEncoder({ scope, ...(scope.schemaUrl ? { schemaUrl: scope.schemaUrl } : {}) });
    let t = 1_700_000_000_000;
    let requests = 0;
    const held: Held[] = [];
    const failed = deflateStats.failed;
    const compressed = deflateStats.compressed;
    for (let push = 0; push < 25; push++) {
      const live = [...restarts.keys()];
      const pick = () => live[Math.floor(rnd() * live.length)] as number;
      const changes = Math.floor(rnd() * 30);
      for (let c = 0; c < changes; c++) {
        const r = rnd();
        if (r < 0.15) {
          restarts.set(next, 0);
          store.upsertObject('pods', pod(next++, 0));
        } else if (r < 0.3) {
          const i = pick();
          if (restarts.delete(i)) store.remove('pods', `pod-${i}`);
        } else if (r < 0.4) {
          // A new version of the object whose points did not change: its kept bytes must stay.
          const i = pick();
          if (restarts.has(i)) store.upsertObject('pods', pod(i, restarts.get(i) as number));
        } else if (r < 0.45) store.upsertObject('jobs', job(Math.floor(rnd() * 30), Math.floor(rnd() * 3)));
        else {
          const i = pick();
          if (!restarts.has(i)) continue;
          restarts.set(i, (restarts.get(i) as number) + 1);
          store.upsertObject('pods', pod(i, restarts.get(i) as number, rnd() < 0.1 ? 'Failed' : 'Running'));
        }
      }
      // Arbitrary times, fractions of a millisecond included: every byte of the 8-byte time varies.
      t += 1 + Math.floor(rnd() * 1e9) + rnd();
      requests += await checkPush(enc, store, t, rnd() < 0.3 ? 20_000 : 3.5 * 1024 * 1024, held);
    }
    assert.ok(requests > 25, 'some pushes were split into several requests');
    // Bodies still being sent share no memory with later bodies, which reuse the runs of those given back (nor
    // with the piece tables: otlp-deflate-entity.test.ts).
    for (const h of held) assert.ok(gunzipSync(Buffer.concat(h.member)).equals(h.want), 'a held body is unchanged');
    // Ordinary ksm sections never fail the time check (semconv's entity chunks do, now and then): a kept zlib
    // handle that leaked state from one piece into the next would show here before it shows in the ratio.
    if (schema === 'ksm') assert.equal(deflateStats.failed, failed, 'no ksm piece failed its check');
    // Entity pieces fail now and then; many failures would mean a weaker dictionary (each is sent live).
    const rate = (deflateStats.failed - failed) / (deflateStats.compressed - compressed);
    assert.ok(rate < 0.05, `pieces failing the time check: ${(rate * 100).toFixed(1)}%`);
  });

for (const schema of ['ksm', 'semconv'] as const)
  test(`gzip from kept pieces (${schema}): an unchanged store compresses nothing again, one changed pod a few pieces`, async () => {
    const store = new MetricsStore({ schema, resources: ['pods'], now: () => 1_700_000_000_000 });
    for (let i = 0; i < 600; i++) store.upsertObject('pods', pod(i, 0));
    const scope = scopeFor(schema);
    const enc = new StoreEncoder({ scope, ...(scope.schemaUrl ? { schemaUrl: scope.schemaUrl } : {}) });
    const big = 64 * 1024 * 1024;
    await checkPush(enc, store, 1_700_000_015_000, big);
    const first = deflateStats.compressed;
    await checkPush(enc, store, 1_700_000_030_000, big);
    assert.equal(deflateStats.compressed, first, 'the second push reused every piece');
    const reused = deflateStats.reused;
    // A changed version whose bytes are the same: nothing to compress.
    store.upsertObject('pods', pod(300, 0));
    await checkPush(enc, store, 1_700_000_045_000, big);
    assert.equal(deflateStats.compressed, first, 'an object re-encoded to the same bytes keeps its pieces');
    assert.ok(deflateStats.reused > reused);
    store.upsertObject('pods', pod(300, 4));
    await checkPush(enc, store, 1_700_000_060_000, big);
    const again = deflateStats.compressed - first;
    assert.ok(again > 0, 'the changed pod was compressed again');
    // ksm: the restart families' pieces around pod 300 (and their successors); semconv: its piece and the next.
    assert.ok(again <= (schema === 'ksm' ? 12 : 3), `only pieces next to the change: ${again}`);
  });

test('a gzip member from kept pieces is handed over as a few long buffers, not one per piece', async () => {
  const store = new MetricsStore({ schema: 'ksm', resources: ['pods'], now: () => 1_700_000_000_000 });
  for (let i = 0; i < 600; i++) store.upsertObject('pods', pod(i, 0));
  const enc = new StoreEncoder({ scope: scopeFor('ksm') });
  const limits = { maxBytes: 64 * 1024 * 1024, maxPoints: 1_000_000 };
  const pieces = deflateStats.compressed;
  const [r] = enc.plan(store, 1_700_000_015_000, limits, undefined, { 'service.name': 'kso' }, {});
  assert.ok(r);
  const member = await r.gzip();
  assert.ok(deflateStats.compressed - pieces > 100, 'the request is made of many kept pieces');
  const bytes = member.reduce((n, b) => n + b.length, 0);
  // Header, runs of 256 KiB, final block and trailer (they are small, so they join the runs too).
  assert.ok(member.length <= Math.ceil(bytes / (256 * 1024)) + 1, `${member.length} buffers for ${bytes} bytes`);
  assert.ok(gunzipSync(Buffer.concat(member)).equals(r.write()));
});

test('kept ksm pieces compress their dictionary stored and the piece at level 1: the member stays small', async () => {
  const store = new MetricsStore({ schema: 'ksm', resources: ['pods'], now: () => 1_700_000_000_000 });
  for (let i = 0; i < 600; i++) store.upsertObject('pods', pod(i, 0));
  const enc = new StoreEncoder({ scope: scopeFor('ksm') });
  const [r] = enc.plan(store, 1_700_000_015_000, { maxBytes: 64 << 20, maxPoints: 1e6 }, undefined, {}, {});
  assert.ok(r);
  const member = Buffer.concat(await r.gzip());
  assert.ok(gunzipSync(member).equals(r.write()));
  // Pieces left at level 0 (stored) would be larger than the request itself.
  assert.ok(member.length * 5 < r.bytes, `${member.length} bytes for ${r.bytes}`);
});
