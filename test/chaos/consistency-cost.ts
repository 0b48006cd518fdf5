// Cost of a periodic consistency check (issue 15 item 3): with a synced pods Reflector, one pass lists
// every pod (pages of 500, as a relist does) and compares each object's resourceVersion with the held
// snapshot's, counting differences. kube-sim runs in a child process so the CPU measured here is kso's side
// only. `node test/chaos/consistency-cost.ts --pods 10000 --passes 3` (wrap in flock /tmp/kso-bench.lock).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { RESOURCES } from '@kso/model';
import { loadKubeConfig, Reflector } from '@kso/watch';

const { values } = parseArgs({
  options: { pods: { type: 'string', default: '10000' }, passes: { type: 'string', default: '3' } },
});
const pods = Number(values.pods);
const passes = Number(values.passes);
const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'kso-consistency-'));
const kubeconfig = join(dir, 'kubeconfig');
const child = spawn(
  process.execPath,
  [
    join(root, 'packages/cli/bin/kso.js'),
    'sim',
    '--scenario=scale',
    `--pods=${pods}`,
    `--jobs=${Math.max(1, pods / 5)}`,
    '--port=0',
    `--write-kubeconfig=${kubeconfig}`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
try {
  await new Promise<void>((ok, fail) => {
    child.stdout!.on('data', (b: Buffer) => b.toString().includes('kubeconfig written') && ok());
    child.once('exit', (c) => fail(new Error(`kube-sim exited ${c}`)));
  });
  const kc = loadKubeConfig({ kubeconfig });
  const server = kc.getCurrentCluster()!.server;
  const token = /token: (\S+)/.exec(readFileSync(kubeconfig, 'utf8'))![1]!;
  const r = new Reflector(kc, { resource: RESOURCES.pods, compact: RESOURCES.pods.compact });
  r.start();
  await r.synced;
  const held = r.items() as ReadonlyMap<string, { resourceVersion: string }>;
  const pass = async () => {
    let cont = '';
    let differ = 0;
    let seen = 0;
    let bytes = 0;
    do {
      const url = `${server}/api/v1/pods?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`;
      const text = await (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).text();
      bytes += text.length;
      const body = JSON.parse(text) as {
        metadata: { continue?: string };
        items: { metadata: { uid: string; resourceVersion: string } }[];
      };
      for (const o of body.items) {
        seen++;
        if (held.get(o.metadata.uid)?.resourceVersion !== o.metadata.resourceVersion) differ++;
      }
      cont = body.metadata.continue ?? '';
    } while (cont !== '');
    return { differ, seen, bytes, missingHere: held.size - seen };
  };
  await sleep(500);
  for (let i = 0; i < passes; i++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const rss0 = process.memoryUsage().rss;
    const res = await pass();
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    console.log(
      JSON.stringify({
        pods,
        pass: i + 1,
        wallMs: Math.round(ms),
        cpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(3),
        mib: +(res.bytes / 2 ** 20).toFixed(1),
        rssGrowthMiB: +((process.memoryUsage().rss - rss0) / 2 ** 20).toFixed(1),
        compared: res.seen,
        differences: res.differ,
        load1: +loadavg()[0]!.toFixed(2),
      }),
    );
  }
  await r.stop();
} finally {
  child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
