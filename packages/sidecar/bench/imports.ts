// What each step of the sidecar's import graph costs: RSS after each import, in the order `kso sidecar` loads
// them (run as its own process by startup.ts, with the same Node flags and compile cache). Prints JSON.
const rssMb = () => Math.round(process.memoryUsage().rss / 104857.6) / 10;

const steps: [string, () => Promise<unknown>][] = [
  ['pino', () => import('pino')],
  ['@kso/watch (light in-cluster path, node:https)', () => import('@kso/watch')],
  ['@kso/model + @kso/metrics', () => Promise.all([import('@kso/model'), import('@kso/metrics')])],
  [
    '@opentelemetry/sdk-metrics + resources (MetricData for relay/exit codes/pushes)',
    () => Promise.all([import('@opentelemetry/sdk-metrics'), import('@opentelemetry/resources')]),
  ],
  ['sidecar modules (lifecycle, relay, local push, OTLP decoder)', () => import('../src/sidecar.ts')],
  ['@kso/exporters/renderer (Pushgateway sink only)', () => import('@kso/exporters/renderer')],
  ['@kso/exporters/otlp-push (OTLP sink only)', () => import('@kso/exporters/otlp-push')],
];

const out: { step: string; rssMb: number; deltaMb: number }[] = [];
let last = rssMb();
out.push({ step: 'bare node', rssMb: last, deltaMb: 0 });
for (const [step, load] of steps) {
  await load();
  const now = rssMb();
  out.push({ step, rssMb: now, deltaMb: Math.round((now - last) * 10) / 10 });
  last = now;
}
if (process.argv.includes('--with-client-node')) {
  // For comparison only: what a kubeconfig file (and, before, every start) loads.
  const { createRequire } = await import('node:module');
  createRequire(import.meta.url)('../../watch/node_modules/@kubernetes/client-node');
  const now = rssMb();
  out.push({
    step: '@kubernetes/client-node (kubeconfig files only)',
    rssMb: now,
    deltaMb: Math.round((now - last) * 10) / 10,
  });
}
process.stdout.write(`${JSON.stringify(out)}\n`);
