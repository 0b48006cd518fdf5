// StoreRenderer's incremental segments: an object's text lives only in its segment's blocks, so a rebuild copies
// unchanged objects from the old blocks and renders only changed ones; the result must equal a fresh render.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type MetricsSource, StoreRenderer } from '../src/index.ts';
import { bodyText, isBoundary } from '../src/renderer.ts';
import { buildSyntheticSource, type SyntheticSource, syntheticPod } from '../src/testing/index.ts';

const PODS = 600;

function fresh(source: MetricsSource): string {
  return new StoreRenderer({ numberFormat: 'go' }).renderStore(source).toString();
}

function text(r: StoreRenderer, source: MetricsSource): string {
  return r.renderStore(source).toString();
}

test('renderer: an update renders only the changed object and keeps unchanged segments as the same Buffers', () => {
  const source = buildSyntheticSource(PODS);
  const r = new StoreRenderer({ numberFormat: 'go' });
  const first = r.renderPieces(source);
  assert.equal(r.stats.objectRenders, PODS);
  const segments = r.stats.segmentBuilds;
  assert.ok(segments > 2, `${PODS} pods span several segments (${segments})`);

  source.setPod(syntheticPod(300, { restarts: 99, phase: 'Failed' }));
  const second = r.renderPieces(source);
  assert.equal(r.stats.objectRenders, PODS + 1, 'only the updated pod is rendered from its points');
  assert.equal(r.stats.segmentBuilds, segments + 1, 'only its segment is rebuilt');
  const old = new Set(first.pieces);
  const replaced = second.pieces.filter((p) => !old.has(p));
  assert.ok(replaced.length > 0, 'the changed segment has new blocks');
  assert.ok(
    replaced.length <= source.families('pods').length,
    `only one segment's blocks are new (${replaced.length} of ${second.pieces.length})`,
  );
  const out = bodyText(second).toString();
  assert.equal(out, fresh(source));
  assert.ok(out.includes(`pod="${syntheticPod(300).name}",uid="${syntheticPod(300).uid}",container="app"} 99\n`));

  r.renderPieces(source, 'openmetrics');
  assert.equal(r.stats.objectRenders, PODS + 1, 'formats share the segments');
});

test('renderer: updates, inserts and deletes (segment ends and starts included) render only the changed objects', () => {
  const source = buildSyntheticSource(PODS);
  const r = new StoreRenderer({ numberFormat: 'go' });
  text(r, source);
  const uids = [...source.entries('pods')].map((o) => o.uid);
  const ends = uids.flatMap((u, i) => (isBoundary(u) && i > 0 && i < uids.length - 2 ? [i] : []));
  assert.ok(ends.length >= 2, 'the fixture has segment boundaries');
  const [b1, b2] = ends as [number, number];

  const steps: { what: string; renders: number; run: (s: SyntheticSource) => void }[] = [
    { what: 'update a segment end', renders: 1, run: (s) => s.setPod(syntheticPod(b1, { restarts: 5 })) },
    { what: 'update the next segment start', renders: 1, run: (s) => s.setPod(syntheticPod(b1 + 1, { restarts: 6 })) },
    { what: 'update the first object', renders: 1, run: (s) => s.setPod(syntheticPod(0, { phase: 'Failed' })) },
    {
      what: 'delete a segment end (merges two segments)',
      renders: 0,
      run: (s) => s.delete('pods', uids[b2] as string),
    },
    {
      what: 'update two objects of the merged segment',
      renders: 2,
      run: (s) => {
        s.setPod(syntheticPod(b2 - 1, { restarts: 7 }));
        s.setPod(syntheticPod(b2 + 1, { restarts: 8 }));
      },
    },
    { what: 'delete the first object', renders: 0, run: (s) => s.delete('pods', uids[0] as string) },
    { what: 're-insert the deleted segment end (at the end)', renders: 1, run: (s) => s.setPod(syntheticPod(b2)) },
    {
      what: 'insert new objects',
      renders: 40,
      run: (s) => {
        for (let i = PODS; i < PODS + 40; i++) s.setPod(syntheticPod(i));
      },
    },
    { what: 'delete the last object', renders: 0, run: (s) => s.delete('pods', syntheticPod(PODS + 39).uid) },
    {
      what: 'delete a run of objects and update their neighbour',
      renders: 1,
      run: (s) => {
        for (let i = 100; i < 110; i++) s.delete('pods', uids[i] as string);
        s.setPod(syntheticPod(110, { restarts: 9 }));
      },
    },
  ];
  for (const step of steps) {
    const before = r.stats.objectRenders;
    step.run(source);
    assert.equal(text(r, source), fresh(source), step.what);
    assert.equal(r.stats.objectRenders - before, step.renders, `${step.what}: objects rendered from points`);
  }
  const hits = r.stats.bodyHits;
  text(r, source);
  assert.equal(r.stats.bodyHits, hits + 1, 'an unchanged store reuses the body');
});

test('renderer: a new family catalog re-renders every object', () => {
  const source = buildSyntheticSource(300);
  let podFamilies = source.families('pods');
  const view: MetricsSource = {
    schema: source.schema,
    resources: () => source.resources(),
    families: (res) => (res === 'pods' ? podFamilies : source.families(res)),
    entries: (res) => source.entries(res),
    size: (res) => source.size(res),
  };
  const r = new StoreRenderer({ numberFormat: 'go' });
  const before = text(r, view);
  podFamilies = [...podFamilies];
  assert.equal(text(r, view), before);
  assert.equal(r.stats.objectRenders, 600);
});

test('renderer: an in-place update rewrites only the blocks whose bytes changed (a restart bump: one family)', () => {
  const source = buildSyntheticSource(PODS);
  const r = new StoreRenderer({ numberFormat: 'go' });
  const first = r.renderPieces(source);
  const before = r.stats.blockBuilds;
  // Several pods of the same and of different segments: each rebuilt segment rewrites the restarts block only.
  for (const i of [10, 11, 300, 301, 302]) source.setPod(syntheticPod(i, { restarts: 40 + i }));
  const second = r.renderPieces(source);
  assert.equal(r.stats.objectRenders, PODS + 5);
  const rebuiltSegments = new Set([10, 11, 300, 301, 302].map((i) => segmentOf(source, i))).size;
  assert.equal(r.stats.blockBuilds - before, rebuiltSegments, 'one block per rebuilt segment');
  const old = new Set(first.pieces);
  assert.equal(second.pieces.filter((p) => !old.has(p)).length, rebuiltSegments);
  assert.equal(bodyText(second).toString(), fresh(source));

  // An update that changes nothing in the text keeps every block (and the body's pieces) as they were.
  source.setPod(syntheticPod(300, { restarts: 340 }));
  const third = r.renderPieces(source);
  assert.equal(r.stats.blockBuilds - before, rebuiltSegments);
  assert.deepEqual(third.pieces, second.pieces);

  // The same for objects whose text was copied into the rebuilt segment rather than rendered into it, and for a
  // segment not rebuilt since the first render.
  for (const i of [12, 303, 500]) source.setPod(syntheticPod(i));
  const fourth = r.renderPieces(source);
  assert.equal(r.stats.blockBuilds - before, rebuiltSegments);
  assert.deepEqual(fourth.pieces, second.pieces);
  assert.equal(bodyText(fourth).toString(), fresh(source));
});

/** Index of the content-defined segment pod i falls in (segments end after a boundary UID). */
function segmentOf(source: MetricsSource, i: number): number {
  let seg = 0;
  let k = 0;
  for (const o of source.entries('pods')) {
    if (k++ === i) return seg;
    if (isBoundary(o.uid)) seg++;
  }
  throw new Error(`no pod ${i}`);
}

test('renderer: prerender renders changed objects ahead, and the next body uses that text (same bytes)', () => {
  const source = buildSyntheticSource(PODS);
  const r = new StoreRenderer({ numberFormat: 'go' });
  r.renderPieces(source);
  assert.equal(r.prerender(source), 0, 'nothing changed: nothing to render');
  for (const i of [5, 200, 201]) source.setPod(syntheticPod(i, { restarts: 9 + i }));
  const builds = r.stats.segmentBuilds;
  assert.equal(r.prerender(source), 3);
  assert.equal(r.prerender(source), 0, 'already pending');
  assert.equal(r.stats.segmentBuilds, builds, 'no segment is built ahead');
  source.setPod(syntheticPod(5, { restarts: 99 }));
  assert.equal(r.prerender(source), 1, 'a pod replaced again is rendered again');
  const renders = r.stats.objectRenders;
  const body = r.renderPieces(source);
  assert.equal(r.stats.objectRenders, renders, 'the body build renders nothing itself');
  const out = bodyText(body).toString();
  assert.equal(out, fresh(source));
  assert.ok(out.includes(`pod="${syntheticPod(5).name}",uid="${syntheticPod(5).uid}",container="app"} 99\n`));
});

test('renderer: non-ASCII text (UTF-8 longer than the string) keeps every family block at the right offsets', () => {
  const source = buildSyntheticSource(PODS);
  const r = new StoreRenderer({ numberFormat: 'go' });
  r.renderPieces(source);
  // Multi-byte characters in an early family, then changes to later families of the same and neighbouring pods.
  source.setPod(syntheticPod(20, { containers: ['äpp-日本', 'sidecar'] }));
  assert.equal(text(r, source), fresh(source));
  source.setPod(syntheticPod(20, { containers: ['äpp-日本', 'sidecar'], restarts: 9 }));
  source.setPod(syntheticPod(21, { restarts: 11 }));
  assert.equal(text(r, source), fresh(source));
  source.setPod(syntheticPod(20, { containers: ['äpp-日本', 'sidecar'], restarts: 9, phase: 'Failed' }));
  assert.equal(text(r, source), fresh(source));
});

test('renderer: an object instance that leaves and comes back is rendered again, not copied from a freed segment', () => {
  const source = buildSyntheticSource(PODS);
  const hidden = new Set<string>();
  // A view that can hide objects and show the same instances again (a shard's view while shards change).
  const view: MetricsSource = {
    schema: source.schema,
    resources: () => source.resources(),
    families: (res) => source.families(res),
    entries: (res) => [...source.entries(res)].filter((o) => !hidden.has(o.uid)),
    size: (res) => [...source.entries(res)].filter((o) => !hidden.has(o.uid)).length,
  };
  const r = new StoreRenderer({ numberFormat: 'go' });
  r.renderPieces(view);
  const uid = syntheticPod(40).uid;
  hidden.add(uid);
  source.setPod(syntheticPod(41, { restarts: 12 }));
  assert.equal(text(r, view), fresh(view));
  hidden.delete(uid);
  assert.equal(text(r, view), fresh(view));
});
