// Where an OTLP push's CPU goes, phase by phase, in one process over the scale scenario's objects: the store
// is filled from kube-sim (the objects `kso run` sees), then each push first changes `--changed` pods (what 50
// writes/s do in a 15 s interval) and runs plan (collection: walk the store, encode changed objects, stamp the
// push time), write (assemble request bodies), compress, and send to a sink in a child process (so the sink's
// CPU is not ours). Run: node test/bench/otlp-phases.ts [pods] [--changed N] [--pushes N] [--schema ksm|semconv]
// [--compression gzip,zstd,none] [--alloc] (bytes allocated per push by function, garbage included: what the
// young-generation collections pay for) [--profile DIR] (a .cpuprofile of the measured pushes per schema and
// compression, without start-up and cache fill; --expose-gc runs a collection before each push)
// [--collector debug|prometheus] (send to a real Collector, one started per row, instead of the draining sink:
// the transport compresses, as in `kso run`, so compress is counted in send; the table adds the Collector's CPU
// per push and its RSS; `prometheus` is its Prometheus exporter with resource_to_telemetry_conversion, scraped
// once after the pushes). The `otlp` bench section measures the same push end to end in `kso run`.
import { fork } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { StoreEncoder, scopeFor } from '@kso/exporters';
import { deflateStats } from '@kso/exporters/otlp-deflate';
import { type Compression, compress, createTransport, type OtlpTransport } from '@kso/exporters/otlp-transport';
import { startKubeSim } from '@kso/kube-sim';
import { type MetricsSource, MetricsStore, type ObjectMetrics } from '@kso/metrics';
import { procUsage } from './proc.ts';
import { round } from './stats.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    changed: { type: 'string', default: '750' },
    // --replaced N: N of the --changed pods are deletions of a random pod and N creations of a new one, as in
    // kube-sim's churn (75 + 75 of 750 per 15 s); the rest restart-count bumps.
    replaced: { type: 'string', default: '0' },
    pushes: { type: 'string', default: '5' },
    schema: { type: 'string', default: 'ksm,semconv' },
    compression: { type: 'string', default: 'gzip,zstd,none' },
    sink: { type: 'string' },
    profile: { type: 'string' },
    alloc: { type: 'boolean', default: false },
    collector: { type: 'string' },
  },
});

/** kso's defaults (otlp-push.ts). */
const limits = { maxBytes: 3.5 * 1024 * 1024, maxPoints: 50_000 };

// Child mode: an h2 gRPC sink that drains and answers OK.
if (values.sink !== undefined) {
  const { startSink } = await import('./otlp.ts');
  const s = await startSink(1000);
  process.send?.(s.url);
  process.on('disconnect', () => void s.close().then(() => process.exit(0)));
} else {
  await main();
}

type CollectorKind = 'debug' | 'prometheus';

async function expectOk(r: Promise<{ ok: boolean; error?: string }>): Promise<void> {
  const res = await r;
  if (!res.ok) throw new Error(res.error);
}

/**
 * otelcol-kso (test/peers/build.sh) with OTLP/gRPC in and one exporter: `debug` (basic verbosity: the receiver's
 * decoding and the pipeline alone) or `prometheus` with resource_to_telemetry_conversion (what a user taking the
 * OTLP shape to Prometheus runs, and what the README's semconv section points to).
 */
async function startBenchCollector(kind: CollectorKind) {
  const { startCollector, freePort } = await import('@kso/peers');
  const grpcPort = await freePort();
  const promPort = kind === 'prometheus' ? await freePort() : 0;
  const exporter =
    kind === 'debug'
      ? '  debug:\n    verbosity: basic\n'
      : `  prometheus:\n    endpoint: 127.0.0.1:${promPort}\n    resource_to_telemetry_conversion:\n      enabled: true\n`;
  const collector = await startCollector(
    `receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:${grpcPort}\n        max_recv_msg_size_mib: 64\nexporters:\n${exporter}service:\n  pipelines:\n    metrics:\n      receivers: [otlp]\n      exporters: [${kind}]\n`,
  );
  return {
    collector,
    endpoint: `http://127.0.0.1:${grpcPort}`,
    scrapeUrl: kind === 'prometheus' ? `http://127.0.0.1:${promPort}/metrics` : undefined,
  };
}

/** The Collector's CPU seconds for one scrape of its Prometheus exporter (the body is read and dropped). */
async function scrapeCpuS(pid: number, url: string): Promise<number> {
  const before = procUsage(pid).cpuS;
  const r = await fetch(url);
  await r.arrayBuffer();
  return procUsage(pid).cpuS - before;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function listAll(base: string, path: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let cont = '';
  do {
    const r = await fetch(`${base}${path}?limit=5000${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
    const body = (await r.json()) as { items: Record<string, unknown>[]; metadata: { continue?: string } };
    items.push(...body.items);
    cont = body.metadata.continue ?? '';
  } while (cont);
  return items;
}

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

/**
 * Allocation sampling of the measured pushes (--alloc), objects later collected included: prints the bytes
 * allocated per push by the functions allocating most (self), so garbage can be traced to its source.
 */
async function allocations(on: boolean, pushes: number) {
  if (!on) return { start: async () => {}, stop: async (_name: string) => {} };
  const { Session } = await import('node:inspector/promises');
  const s = new Session();
  s.connect();
  return {
    start: () =>
      s
        .post('HeapProfiler.startSampling', {
          samplingInterval: 1024,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: true,
        })
        .then(() => undefined),
    async stop(name: string) {
      const { profile } = (await s.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: HeapNode } };
      const by = new Map<string, number>();
      let total = 0;
      const frame = (n: HeapNode) => {
        const f = n.callFrame;
        return `${f.functionName || '(anon)'} ${f.url.replace(/.*\/(packages|node_modules)\//, '')}:${f.lineNumber + 1}`;
      };
      // Keyed with the caller: builtins (`next`, `map`) say little on their own.
      const walk = (n: HeapNode, parent: string) => {
        const k = `${frame(n)} < ${parent}`;
        by.set(k, (by.get(k) ?? 0) + n.selfSize);
        total += n.selfSize;
        for (const c of n.children) walk(c, frame(n));
      };
      walk(profile.head, '');
      const mib = (b: number) => round(b / pushes / 1048576, 2);
      const top = [...by].sort((a, b) => b[1] - a[1]).slice(0, 25);
      process.stderr.write(
        `[otlp-phases] ${name}: ${mib(total)} MiB allocated per push (sampled)\n${top.map(([k, b]) => `  ${mib(b)}  ${k}`).join('\n')}\n`,
      );
    },
  };
}

/** CPU profile of the measured pushes only (not the start-up or the cache fill), with --profile DIR. */
async function profiler(dir: string | undefined) {
  if (!dir) return { start: async () => {}, stop: async (_name: string) => {} };
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync, mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  const s = new Session();
  s.connect();
  await s.post('Profiler.enable');
  await s.post('Profiler.setSamplingInterval', { interval: 200 });
  return {
    start: () => s.post('Profiler.start').then(() => undefined),
    async stop(name: string) {
      const { profile } = await s.post('Profiler.stop');
      writeFileSync(`${dir}/${name}.cpuprofile`, JSON.stringify(profile));
    },
  };
}

type Sums = Record<'touch' | 'generate' | 'plan' | 'idlePlan' | 'write' | 'compress' | 'send' | 'raw' | 'sent', number>;

/**
 * One push, phase by phase. `generate` reads the changed objects' points once, apart (plan pays the same again:
 * the store generates points on each read); `idlePlan` is a second plan with nothing changed (the per-push
 * cost over all objects: walk, stamping, request planning). Neither is part of the push's total.
 */
async function measuredPush(
  enc: StoreEncoder,
  src: MetricsSource,
  touch: () => ObjectMetrics[],
  c: Compression,
  transport: OtlpTransport,
  viaTransport: boolean,
  sum: Sums,
): Promise<void> {
  let t = cpuMs();
  const lap = () => {
    const n = cpuMs();
    const d = n - t;
    t = n;
    return d;
  };
  const changed = touch();
  sum.touch += lap();
  // With --expose-gc: collect the store's garbage from the changes first, so that its GC is not charged
  // to whichever push phase happens to trigger it.
  (globalThis as { gc?: () => void }).gc?.();
  lap();
  for (const o of changed) void o.families;
  sum.generate += lap();
  const reqs = enc.plan(src, Date.now(), limits);
  sum.plan += lap();
  for (const r of reqs) {
    const body = r.parts();
    sum.write += lap();
    sum.raw += r.bytes;
    // gzip: the request's own member, from the compressed pieces it keeps between pushes. A real Collector must
    // be told the encoding, so its transport compresses (within send).
    const z = viaTransport ? undefined : await compress(c === 'gzip' ? r : body, c);
    sum.compress += lap();
    for (const p of z ?? []) sum.sent += p.length;
    await expectOk(transport.send(z ?? (c === 'gzip' ? r : body), 30_000));
    sum.send += lap();
  }
  enc.plan(src, Date.now() + 1, limits);
  sum.idlePlan += lap();
}

async function main(): Promise<void> {
  const pods = Number(positionals[0] ?? 10_000);
  const changed = Number(values.changed);
  const replaced = Number(values.replaced);
  const pushes = Number(values.pushes);
  const collector = values.collector as CollectorKind | undefined;
  if (collector !== undefined && collector !== 'debug' && collector !== 'prometheus')
    throw new Error(`--collector ${collector}: debug or prometheus`);
  const log = (s: string) => process.stderr.write(`[otlp-phases] ${s}\n`);
  const sim = await startKubeSim({
    port: 0,
    scenario: 'scale',
    scale: { pods, jobs: Math.round(pods / 5), churnPerSecond: 0 },
  });
  const objects = {
    jobs: await listAll(sim.url, '/apis/batch/v1/jobs'),
    pods: await listAll(sim.url, '/api/v1/pods'),
    cronjobs: await listAll(sim.url, '/apis/batch/v1/cronjobs'),
  };
  await sim.close();
  // The draining sink only when no real Collector receives the pushes: an idle extra process is no help there.
  const child = collector
    ? undefined
    : fork(new URL(import.meta.url), ['--sink', '1'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const sinkUrl = child ? await new Promise<string>((r) => child.once('message', (m) => r(String(m)))) : '';
  const prof = await profiler(values.profile);
  const alloc = await allocations(values.alloc, Number(values.pushes));
  const head = [
    'schema',
    'compression',
    'plan ms',
    '(generate)',
    '(idle plan)',
    'write ms',
    'compress ms',
    'send ms',
    'total ms',
    'MiB raw',
    'MiB sent',
    ...(collector ? ['Collector CPU ms', 'Collector RSS MB (peak)'] : []),
    ...(collector === 'prometheus' ? ['one scrape: Collector CPU s'] : []),
  ];
  const rows: string[] = [`| ${head.join(' | ')} |`, `|${' --- |'.repeat(head.length)}`];
  for (const schema of (values.schema as string).split(',') as ('ksm' | 'semconv')[]) {
    const store = new MetricsStore({ schema, resources: ['jobs', 'pods', 'cronjobs'] });
    for (const r of ['jobs', 'pods', 'cronjobs'] as const) for (const o of objects[r]) store.upsertObject(r, o);
    let k = 0;
    type RawPod = {
      metadata: { uid: string; name: string };
      status?: { containerStatuses?: { restartCount?: number }[] };
    };
    const live = [...objects.pods] as RawPod[];
    let created = 0;
    const touch = () => {
      const out: ObjectMetrics[] = [];
      for (let i = 0; i < replaced; i++) {
        const victim = (k++ * 7919) % live.length;
        store.remove('pods', (live[victim] as RawPod).metadata.uid);
        live[victim] = live[live.length - 1] as RawPod;
        live.pop();
        const p = structuredClone(live[(k * 104729) % live.length]) as RawPod;
        p.metadata.uid = `replaced-${created}`;
        p.metadata.name = `replaced-${created++}`;
        live.push(p);
        out.push(store.upsertObject('pods', p));
      }
      for (let i = 2 * replaced; i < changed; i++) {
        const p = structuredClone(live[(k++ * 7919) % live.length]) as RawPod;
        const cs = p.status?.containerStatuses?.[0];
        if (cs) cs.restartCount = 1000 + k;
        out.push(store.upsertObject('pods', p));
      }
      return out;
    };
    for (const c of (values.compression as string).split(',') as Compression[]) {
      const scope = scopeFor(schema);
      const enc = new StoreEncoder({ scope, ...(scope.schemaUrl ? { schemaUrl: scope.schemaUrl } : {}) });
      const peer = collector ? await startBenchCollector(collector) : undefined;
      const transport = peer
        ? createTransport({ protocol: 'grpc', endpoint: peer.endpoint, compression: c })
        : createTransport({ protocol: 'grpc', endpoint: sinkUrl, compression: 'none' });
      const src: MetricsSource = store;
      // The cache fill (and, for gzip, the kept compressed pieces), not the steady state. A Collector gets it
      // too, so that its first series creation is not charged to the measured pushes.
      for (const r of enc.plan(src, Date.now(), limits)) {
        if (c === 'gzip' && !peer) await compress(r, c);
        if (peer) await expectOk(transport.send(c === 'gzip' ? r : r.parts(), 60_000));
      }
      const peer0 = peer ? procUsage(peer.collector.pid) : undefined;
      const sum: Sums = {
        touch: 0,
        generate: 0,
        plan: 0,
        idlePlan: 0,
        write: 0,
        compress: 0,
        send: 0,
        raw: 0,
        sent: 0,
      };
      const d0 = { ...deflateStats };
      await prof.start();
      await alloc.start();
      for (let i = 0; i < pushes; i++) await measuredPush(enc, src, touch, c, transport, collector !== undefined, sum);
      await alloc.stop(`${schema}-${c}`);
      await prof.stop(`${schema}-${c}`);
      transport.close();
      const per = (x: number) => round(x / pushes, 0);
      const total = sum.plan + sum.write + sum.compress + sum.send;
      const cells = [
        schema,
        c,
        per(sum.plan),
        per(sum.generate),
        per(sum.idlePlan),
        per(sum.write),
        per(sum.compress),
        per(sum.send),
        per(total),
        round(sum.raw / pushes / 1048576, 1),
        peer ? '—' : round(sum.sent / pushes / 1048576, 2),
      ];
      if (peer && peer0) {
        // The Collector answers after its pipeline has taken the request; a moment more lets its GC finish.
        await sleep(500);
        const u = procUsage(peer.collector.pid);
        cells.push(per((u.cpuS - peer0.cpuS) * 1000), `${round(u.rssMb, 0)} (${round(u.peakRssMb, 0)})`);
        if (peer.scrapeUrl) cells.push(round(await scrapeCpuS(peer.collector.pid, peer.scrapeUrl), 1));
        await peer.collector.stop();
      }
      rows.push(`| ${cells.join(' | ')} |`);
      log(rows[rows.length - 1] as string);
      // The kept gzip pieces' work per push (otlp-deflate.ts's counters).
      const dz = Object.entries(deflateStats).map(
        ([k, v]) => `${k} ${round((v - (d0[k as keyof typeof d0] as number)) / pushes, 1)}`,
      );
      log(`${schema} ${c} deflate per push: ${dz.join(', ')}`);
    }
  }
  child?.disconnect();
  process.stdout.write(
    `OTLP push phases — ${pods} pods, ${changed} changed pods per push, ${pushes} pushes, CPU ms per push (load ${(
      await import('node:os')
    )
      .loadavg()
      .map((x) => round(x, 2))
      .join(' ')})\n${rows.join('\n')}\n`,
  );
}
