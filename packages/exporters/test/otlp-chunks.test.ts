// The entity chunk is written with every length computed ahead (each byte written once); it must be exactly
// the canonical encoding that the generic writer's nested() framing gives for the same grouping: one
// ResourceMetrics per entity (non-enum attributes, first-seen order), one Metric per family with points in it,
// enum attributes on the points.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FamilyDescriptor, MetricsStore, type ObjectMetrics, type Point } from '@kso/metrics';
import { type EntityFrame, encodeEntityChunk, type FamilyMeta, familyMeta } from '../src/otlp-chunks.ts';
import { ProtoWriter, TAG, writeStringKeyValue } from '../src/otlp-proto.ts';

/** The reference: group by entity with a string key, then nested() at every level. */
function reference(obj: ObjectMetrics, metas: readonly FamilyMeta[], frame: EntityFrame) {
  const groups = new Map<string, { res: [string, string][]; fams: Map<number, [Record<string, string>, number][]> }>();
  obj.families.forEach((points: readonly Point[], i: number) => {
    const keep = metas[i]?.pointKeys;
    for (const p of points) {
      const res = Object.entries(p.attributes).filter(([k]) => !keep?.has(k));
      const own = Object.fromEntries(Object.entries(p.attributes).filter(([k]) => keep?.has(k)));
      const key = JSON.stringify(res);
      const g = groups.get(key) ?? { res, fams: new Map() };
      groups.set(key, g);
      const list = g.fams.get(i) ?? [];
      list.push([own, p.value]);
      g.fams.set(i, list);
    }
  });
  const w = new ProtoWriter(16);
  for (const g of groups.values())
    w.nested(TAG.requestResourceMetrics, (w) => {
      w.nested(TAG.rmResource, (w) => {
        for (const [k, v] of g.res) writeStringKeyValue(w, TAG.resourceAttributes, k, v);
        w.raw(frame.extraAttributes);
      });
      w.nested(TAG.rmScopeMetrics, (w) => {
        w.raw(frame.scope);
        for (const [i, list] of [...g.fams].sort((a, b) => a[0] - b[0])) {
          const m = metas[i] as FamilyMeta;
          w.nested(TAG.smMetrics, (w) => {
            w.raw(m.header);
            w.nested(m.dataTag, (w) => {
              for (const [attrs, value] of list)
                w.nested(TAG.dataPoints, (w) => {
                  for (const [k, v] of Object.entries(attrs)) writeStringKeyValue(w, TAG.ndpAttributes, k, v);
                  w.byte(TAG.ndpStart);
                  w.fixed64Nanos(obj.startTimeMs);
                  w.timeMark(TAG.ndpTime);
                  w.byte(m.isInt ? TAG.ndpInt : TAG.ndpDouble);
                  if (m.isInt) w.sfixed64(value);
                  else w.double(value);
                });
              w.raw(m.trailer);
            });
          });
        }
        w.raw(frame.scopeSchemaUrl);
      });
      w.raw(frame.resourceSchemaUrl);
    });
  return { buf: w.finish(), marks: w.marks };
}

function frameOf(url: string, extra: Record<string, string>): EntityFrame {
  const scope = new ProtoWriter(64);
  scope.nested(TAG.smScope, (w) => {
    w.byte(TAG.scopeName);
    w.string('kube-state-otel/semconv');
  });
  const u = new ProtoWriter(64);
  if (url) {
    u.byte(TAG.smSchemaUrl);
    u.string(url);
  }
  const e = new ProtoWriter(64);
  for (const [k, v] of Object.entries(extra)) writeStringKeyValue(e, TAG.resourceAttributes, k, v);
  const s = u.finish();
  return { scope: scope.finish(), scopeSchemaUrl: s, resourceSchemaUrl: s, extraAttributes: e.finish() };
}

function check(obj: ObjectMetrics, metas: readonly FamilyMeta[], frame: EntityFrame, what: string) {
  const w = new ProtoWriter(8);
  const got = encodeEntityChunk(w, obj, metas, frame);
  const want = reference(obj, metas, frame);
  assert.equal(got.buf.toString('hex'), want.buf.toString('hex'), what);
  assert.deepEqual([...got.marks], want.marks, `${what}: marks`);
  assert.equal(got.points, want.marks.length);
}

test('entity chunks of real semconv objects equal the nested() encoding (pods with containers, jobs, cronjobs)', () => {
  const store = new MetricsStore({
    schema: 'semconv',
    resources: ['pods', 'jobs', 'cronjobs'],
    now: () => 1.7e12 + 0.5,
  });
  for (let i = 0; i < 6; i++)
    store.upsertObject('pods', {
      metadata: { name: `p-${i}`, namespace: 'ns', uid: `pod-${i}`, ownerReferences: [{ kind: 'Job', name: 'j' }] },
      spec: {
        nodeName: 'n',
        containers: Array.from({ length: i + 1 }, (_, c) => ({
          name: `c${c}`,
          resources: { requests: { cpu: `${c + 1}00m`, memory: '64Mi' }, limits: { memory: '1Gi' } },
        })),
      },
      status: {
        phase: ['Pending', 'Running', 'Failed', 'Succeeded'][i % 4],
        reason: i === 2 ? 'Evicted' : undefined,
        containerStatuses: Array.from({ length: i + 1 }, (_, c) => ({
          name: `c${c}`,
          restartCount: c * 3,
          ready: c % 2 === 0,
          state: c % 2 ? { waiting: { reason: 'CrashLoopBackOff' } } : { running: {} },
        })),
      },
    });
  store.upsertObject('jobs', {
    metadata: { name: 'j', namespace: 'ns', uid: 'job-1' },
    spec: { completions: 3, parallelism: 2 },
    status: { active: 1, succeeded: 2, failed: 1 },
  });
  store.upsertObject('cronjobs', {
    metadata: { name: 'cj', namespace: 'ns', uid: 'cj-1' },
    spec: { schedule: '*/5 * * * *', suspend: true },
    status: {},
  });
  const frames = [frameOf('https://opentelemetry.io/schemas/1.37.0', { 'k8s.cluster.name': 'prod' }), frameOf('', {})];
  let points = 0;
  for (const r of ['pods', 'jobs', 'cronjobs'] as const) {
    const metas = store.families(r).map(familyMeta);
    for (const obj of store.entries(r))
      for (const f of frames) {
        check(obj, metas, f, `${r} ${obj.uid}`);
        points += obj.families.reduce((n, l) => n + l.length, 0);
      }
  }
  assert.ok(points > 100, 'the objects have points');
});

test('entity chunks with many entities, long and non-ASCII values, int and double, gauge and sum, no points', () => {
  const descs: FamilyDescriptor[] = [
    { name: 'g', help: 'h', type: 'gauge', unit: '{x}', resource: 'pods', stability: 'STABLE', pointAttributes: ['e'] },
    { name: 'empty', help: '', type: 'gauge', unit: '', resource: 'pods', stability: 'STABLE', pointAttributes: [] },
    {
      name: 'c',
      help: 'd'.repeat(200),
      type: 'counter',
      unit: '1',
      resource: 'pods',
      stability: 'STABLE',
      valueType: 'int',
      pointAttributes: ['e', 'f'],
    },
  ] as FamilyDescriptor[];
  const metas = descs.map(familyMeta);
  const g: Point[] = [];
  const c: Point[] = [];
  for (let e = 0; e < 20; e++) {
    const entity = { 'k8s.pod.name': `p-${e % 7}`, 'k8s.container.name': e % 3 ? `ü-${'x'.repeat(e * 20)}` : '€' };
    g.push({ attributes: { ...entity, e: `v${e}` }, value: e / 3 });
    c.push({ attributes: { f: '😀', ...entity, e: '' }, value: -(2 ** 40) + e });
  }
  const obj = { uid: 'u', resource: 'pods' as const, startTimeMs: 1_700_000_000_123.5, families: [g, [], c] };
  check(obj, metas, frameOf('url', { a: 'b' }), 'synthetic');
  check({ ...obj, families: [[], [], []] }, metas, frameOf('url', {}), 'no points');
});
