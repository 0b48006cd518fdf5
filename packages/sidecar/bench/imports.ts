// What each step of the sidecar's import graph costs: RSS after each import, in the order the sidecar loads
// them. bench/startup.ts bundles this file as scripts/bundle.ts bundles the sidecar and runs it with the pod's
// Node flags (src/launch.ts), so each dynamic import below is one lazily initialised part of the same bundle.
// Builtins are `require`d, as the bundle does (an ESM import of node:http would load undici & co., ~12 MB).
// Prints JSON.
import { createRequire } from 'node:module';

const require_ = createRequire(import.meta.url);
const rssMb = () => Math.round(process.memoryUsage().rss / 104857.6) / 10;

const steps: [string, () => unknown][] = [
  [
    'node:https + node:http2 + node:zlib (TLS watch, gRPC, gzip)',
    () => ['node:https', 'node:http2', 'node:zlib'].map((m) => require_(m)),
  ],
  ['pino', () => import('pino')],
  ['@kso/watch (in-cluster path)', () => import('@kso/watch')],
  ['@kso/model + @kso/metrics', () => Promise.all([import('@kso/model'), import('@kso/metrics')])],
  [
    '@opentelemetry/sdk-metrics + resources (MetricData for relay/exit codes/pushes)',
    () => Promise.all([import('@opentelemetry/sdk-metrics'), import('@opentelemetry/resources')]),
  ],
  ['@kso/config + sidecar modules (lifecycle, relay, local push, OTLP decoder)', () => import('../src/sidecar.ts')],
  ['@kso/exporters/renderer (Pushgateway sink only)', () => import('@kso/exporters/renderer')],
  ['@kso/exporters/otlp-push (OTLP sink only)', () => import('@kso/exporters/otlp-push')],
];

// No top-level await: the bundle is CommonJS.
void (async () => {
  const out: { step: string; rssMb: number; deltaMb: number }[] = [];
  let last = rssMb();
  out.push({ step: 'bare node', rssMb: last, deltaMb: 0 });
  for (const [step, load] of steps) {
    await load();
    const now = rssMb();
    out.push({ step, rssMb: now, deltaMb: Math.round((now - last) * 10) / 10 });
    last = now;
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
})();
