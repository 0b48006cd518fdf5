// Entity pieces through kept zlib handles (otlp-deflate-entity.ts): a request's gzip member must inflate to
// exactly the request whatever changed and whatever the push time; the dictionary written into the reset
// stream must index like a set dictionary (else pieces fail the time check and go out live); the kept
// entries must carry the CRC terms gzipSegments expects (otlp-deflate.ts's placeholder). The time check and
// the recompression of changed pieces are checked here for every piece coder, the ksm ones too.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { constants, deflateRawSync, gunzipSync } from 'node:zlib';
import { MetricsStore } from '@kso/metrics';
import { StoreEncoder, scopeFor } from '../src/index.ts';
import { DeflatePieces, deflateStats, gzipSegments, type Segment } from '../src/otlp-deflate.ts';
import { EntityPieces, type EntityUnitSeq, entityDeflateConfig, PLACEHOLDER } from '../src/otlp-deflate-entity.ts';
import { deflateAfter } from '../src/otlp-zlib.ts';
import { releaseRuns } from '../src/output-runs.ts';

function choices(seed: string): () => number {
  let n = 0;
  return () => createHash('sha256').update(`${seed}:${n++}`).digest().readUInt32LE(0) / 4294967296;
}

/** Pods that differ as real ones do: names, uids, nodes, start times, one to three containers. */
function pod(i: number, restarts: number, phase = 'Running') {
  const containers = ['main', 'sidecar', 'init-proxy'].slice(0, 1 + (i % 3));
  return {
    metadata: {
      name: `web-${(i * 7919).toString(36)}-${i}`,
      namespace: `team-${i % 7}`,
      uid: `0f3c${i.toString(16).padStart(8, '0')}-uid`,
      labels: { app: `app-${i % 11}`, tier: i % 2 ? 'backend' : 'frontend' },
      creationTimestamp: new Date(1_690_000_000_000 + i * 61_000).toISOString(),
    },
    spec: { nodeName: `node-${i % 13}`, containers: containers.map((name) => ({ name, image: `img/${name}:1` })) },
    status: {
      phase,
      startTime: new Date(1_690_000_000_000 + i * 61_000).toISOString(),
      containerStatuses: containers.map((name, k) => ({
        name,
        restartCount: k === 0 ? restarts : 0,
        ready: true,
        state: { running: { startedAt: new Date(1_690_000_000_000 + i * 61_000).toISOString() } },
      })),
    },
  };
}

async function checkPush(enc: StoreEncoder, store: MetricsStore, nowMs: number, maxBytes: number) {
  const reqs = enc.plan(store, nowMs, { maxBytes, maxPoints: 50_000 }, undefined, {}, { 'k8s.cluster.name': 'c' });
  for (const r of reqs) {
    const member = Buffer.concat(await r.gzip());
    assert.ok(gunzipSync(member).equals(r.write()), 'the gzip member inflates to the request');
  }
  return reqs.length;
}

for (const reuse of [true, false])
  test(`semconv gzip (${reuse ? 'kept handles' : 'one-shot zlib'}): random changes and push times inflate to the exact request, pieces rarely fail the time check`, async (ctx) => {
    entityDeflateConfig.reuseHandles = reuse;
    ctx.after(() => {
      entityDeflateConfig.reuseHandles = true;
    });
    const rnd = choices(`entity-${reuse}`);
    const store = new MetricsStore({ schema: 'semconv', resources: ['pods'], now: () => 1_700_000_000_000 });
    const restarts = new Map<number, number>();
    let next = 0;
    for (; next < 500; next++) {
      store.upsertObject('pods', pod(next, 0));
      restarts.set(next, 0);
    }
    const scope = scopeFor('semconv');
    const enc = new StoreEncoder({ scope, ...(scope.schemaUrl ? { schemaUrl: scope.schemaUrl } : {}) });
    const failed = deflateStats.failed;
    const compressed = deflateStats.compressed;
    let t = 1_700_000_000_000;
    let requests = 0;
    for (let push = 0; push < 15; push++) {
      const live = [...restarts.keys()];
      const pick = () => live[Math.floor(rnd() * live.length)] as number;
      for (let c = Math.floor(rnd() * 40); c > 0; c--) {
        const r = rnd();
        if (r < 0.1) {
          restarts.set(next, 0);
          store.upsertObject('pods', pod(next++, 0));
        } else if (r < 0.2) {
          const i = pick();
          if (restarts.delete(i)) store.remove('pods', `0f3c${i.toString(16).padStart(8, '0')}-uid`);
        } else {
          const i = pick();
          if (!restarts.has(i)) continue;
          restarts.set(i, (restarts.get(i) as number) + 1);
          store.upsertObject('pods', pod(i, restarts.get(i) as number, rnd() < 0.1 ? 'Failed' : 'Running'));
        }
      }
      t += 1 + Math.floor(rnd() * 1e9) + rnd();
      requests += await checkPush(enc, store, t, rnd() < 0.3 ? 60_000 : 3.5 * 1024 * 1024);
    }
    assert.ok(requests > 15, 'some pushes were split into several requests');
    // Each failing piece is sent live; many would mean a weakly indexed dictionary (as the level-1 one was).
    const n = deflateStats.compressed - compressed;
    const rate = (deflateStats.failed - failed) / n;
    assert.ok(n > 200, `pieces compressed: ${n}`);
    assert.ok(rate < 0.02, `pieces failing the time check: ${(rate * 100).toFixed(1)}%`);
  });

/** Units over hand-made bytes: unit i is bufs[i] with its time marks at marks[i]; every unit ends a piece. */
function units(bufs: Buffer[], marks: number[][], versions: number[], key = () => 0): EntityUnitSeq {
  return {
    get length() {
      return bufs.length;
    },
    len: (i) => (bufs[i] as Buffer).length,
    version: (i) => versions[i] as number,
    key,
    copy(i, dst, pos, out) {
      (bufs[i] as Buffer).copy(dst, pos);
      for (const m of marks[i] as number[]) out.push(m + pos);
    },
    slices(a, b, out) {
      out.push(...bufs.slice(a, b));
    },
    bytesOf: (i) => bufs[i] as Buffer,
    marksOf: (i) => Uint32Array.from(marks[i] as number[]),
  };
}

function stampAll(bufs: Buffer[], marks: number[][], t: bigint): void {
  for (let i = 0; i < bufs.length; i++)
    for (const m of marks[i] as number[]) (bufs[i] as Buffer).writeBigUInt64LE(t, m);
}

/** The gzip member of 'framing' and every unit, as the buffers handed to a transport. */
function body(cache: EntityPieces | DeflatePieces, seq: EntityUnitSeq): Promise<Buffer[]> {
  const segs: Segment[] = [{ raw: [Buffer.from('framing')] }];
  if (cache instanceof EntityPieces) cache.segments(seq, 0, seq.length, segs);
  else cache.segments(seq, 0, seq.length, segs);
  return gzipSegments(segs);
}

async function member(cache: EntityPieces | DeflatePieces, seq: EntityUnitSeq): Promise<Buffer> {
  return Buffer.concat(await body(cache, seq));
}

function records(n: number, tag: string) {
  const bufs: Buffer[] = Array.from({ length: n }, (_, i) =>
    Buffer.concat([
      Buffer.from(`{"namespace":"ns-${i % 3}","pod":"${tag}-${(i * 7919) % 1000}","time":`),
      Buffer.alloc(8),
      Buffer.from(`,"value":${i * 31},"again":`),
      Buffer.alloc(8),
      Buffer.from('}'),
    ]),
  );
  const marks = bufs.map((b) => [b.indexOf('"time":') + 7, b.indexOf('"again":') + 8]);
  return { bufs, marks };
}

test('entity entries carry the CRC terms at otlp-deflate.ts placeholder: the same as its own pieces', async () => {
  const { bufs, marks } = records(40, 'crc');
  const versions = bufs.map((_, i) => i + 1);
  // Boundaries after every third unit, dictionaries of one or two units.
  const seq = units(bufs, marks, versions, () => 0xffffffff);
  const keyed = { ...seq, key: (i: number) => (i % 3 === 2 ? 0 : 0xffffffff) };
  stampAll(bufs, marks, 1_700_000_000_123_456_789n);
  const mine = new EntityPieces(1e9, 60);
  const theirs = new DeflatePieces(1e9, 60);
  mine.layout(keyed);
  theirs.layout(keyed);
  const body = Buffer.concat([Buffer.from('framing'), ...bufs]);
  assert.ok(gunzipSync(await member(mine, keyed)).equals(body));
  assert.ok(gunzipSync(await member(theirs, keyed)).equals(body));
  const [a, b] = [mine.table, theirs.table];
  assert.equal(a.count, b.count);
  assert.ok(a.count > 10);
  const terms = (t: typeof a, k: number) => {
    const e = t.slot[k] as number;
    return [t.crcP[e], t.markS[e], t.shift[e], t.firstMark[e]];
  };
  for (let k = 1; k < a.count; k++) {
    assert.ok(a.output(a.slot[k] as number), `piece ${k} compressed`);
    assert.deepEqual(terms(a, k), terms(b, k), `piece ${k}`);
  }
  assert.equal(PLACEHOLDER.length, 8);
});

/** Every piece coder: entity pieces, and ksm pieces through the kept handles and through the one-shot functions. */
const coders = [
  ['entity pieces', (target: number, dict: number) => new EntityPieces(target, dict)],
  ['kept ksm pieces', (target: number, dict: number) => new DeflatePieces(target, dict, true)],
  ['one-shot ksm pieces', (target: number, dict: number) => new DeflatePieces(target, dict)],
] as const;

for (const [name, make] of coders)
  test(`${name}: a piece whose output would depend on the time fails the check and is sent live, correctly`, async () => {
    // The placeholder's own bytes as data in the dictionary: deflate copies the piece's mark from there.
    const bufs = [
      Buffer.concat([Buffer.from('attributes of object zero '), Buffer.from(PLACEHOLDER), Buffer.from(' tail')]),
      Buffer.concat([Buffer.from('attributes of object zero '), Buffer.alloc(8), Buffer.from(' tail')]),
    ];
    const marks = [[], [26]];
    const seq = units(bufs, marks, [1, 2]);
    const cache = make(1, 4096);
    cache.layout(seq);
    const failed = deflateStats.failed;
    for (const t of [1_700_000_000_000_000_000n, 123n, 0xffff_ffff_ffff_ffffn]) {
      stampAll(bufs, marks, t);
      const body = Buffer.concat([Buffer.from('framing'), ...bufs]);
      assert.ok(gunzipSync(await member(cache, seq)).equals(body), `time ${t}`);
    }
    assert.equal(deflateStats.failed, failed + 1, 'checked once, rejected, then sent live');
  });

for (const [name, make] of coders)
  test(`${name} are compressed again when they or their dictionary changed, and only then`, async () => {
    const { bufs, marks } = records(8, 'dict');
    const versions = bufs.map((_, i) => i + 1);
    const seq = units(bufs, marks, versions);
    // A dictionary of one unit: piece k depends on units k-1 and k.
    const cache = make(1, 1);
    let t = 1_700_000_000_000_000_000n;
    const check = async () => {
      t += 15_000_000_017n;
      stampAll(bufs, marks, t);
      cache.layout(seq);
      assert.ok(gunzipSync(await member(cache, seq)).equals(Buffer.concat([Buffer.from('framing'), ...bufs])));
    };
    await check();
    const base = deflateStats.compressed;
    await check();
    assert.equal(deflateStats.compressed, base, 'nothing changed: nothing compressed');
    bufs[3] = records(8, 'other').bufs[3] as Buffer;
    versions[3] = 100;
    await check();
    assert.equal(deflateStats.compressed, base + 2, 'the changed unit and its successor');
  });

for (const [name, make] of coders)
  test(`${name}: a body still being sent keeps its bytes while later pushes compact the outputs in place`, async () => {
    const { bufs, marks } = records(600, 'held');
    const versions = bufs.map((_, i) => i + 1);
    let version = versions.length;
    // Unit 300 does not compress: its output is larger than the runs take in (it went out as a view before).
    const hash = (s: string) => createHash('sha256').update(s).digest();
    const noise = (round: number) => Buffer.concat(Array.from({ length: 700 }, (_, k) => hash(`${round}:${k}`)));
    const seq = units(bufs, marks, versions);
    const cache = make(1, 64);
    const rnd = choices(name);
    const held: { body: Buffer[]; want: Buffer }[] = [];
    const given = new Set<ArrayBufferLike>();
    let reused = 0;
    const compactions = cache.table.zStats.compactions;
    let t = 1_700_000_000_000_000_000n;
    for (let round = 0; round < 40; round++) {
      const next = records(600, `r${round}`);
      bufs[300] = noise(round);
      marks[300] = [];
      versions[300] = ++version;
      for (let c = 0; c < 40; c++) {
        const i = Math.floor(rnd() * bufs.length);
        if (i === 300) continue;
        bufs[i] = next.bufs[i] as Buffer;
        marks[i] = next.marks[i] as number[];
        versions[i] = ++version;
      }
      t += 15_000_000_017n;
      stampAll(bufs, marks, t);
      cache.layout(seq);
      const out = await body(cache, seq);
      const want = Buffer.concat([Buffer.from('framing'), ...bufs]);
      assert.ok(gunzipSync(Buffer.concat(out)).equals(want), `round ${round}`);
      if (out.some((b) => given.has(b.buffer))) reused++;
      // The first bodies are held (a request still in flight), the others given back as the transport does.
      if (round < 5) held.push({ body: out, want });
      else {
        for (const b of out) given.add(b.buffer);
        releaseRuns(out);
      }
    }
    assert.ok(cache.table.zStats.compactions > compactions, 'the outputs were compacted during the pushes');
    for (const h of held) assert.ok(gunzipSync(Buffer.concat(h.body)).equals(h.want), 'a held body is unchanged');
    assert.ok(reused > 30, `bodies written into runs given back: ${reused}`);
  });

test('the kept deflater indexes a dictionary written into its reset stream as a set dictionary would', () => {
  // Neighbouring records are long matches of each other: at level 1 zlib would not hash the strings inside
  // them (and the outputs would differ); written stored, all are hashed when the piece arrives.
  const { bufs } = records(60, 'idx');
  let differ = 0;
  for (let k = 2; k + 2 <= bufs.length; k += 2) {
    const dict = Buffer.concat(bufs.slice(Math.max(0, k - 6), k));
    const piece = Buffer.concat(bufs.slice(k, k + 2));
    const kept = deflateAfter(dict, piece, 13);
    const set = deflateRawSync(piece, {
      windowBits: 13,
      level: 1,
      memLevel: 6,
      dictionary: dict,
      finishFlush: constants.Z_SYNC_FLUSH,
    });
    if (!kept?.equals(set)) differ++;
  }
  assert.equal(differ, 0, 'outputs differing from the set-dictionary ones');
});
