#!/usr/bin/env node
// Writes the monitoring bundle: the plain Prometheus rule file, the PrometheusRule and the Grafana dashboard.
//   node deploy/monitoring/generate.ts                         regenerate deploy/monitoring/ (defaults)
//   node deploy/monitoring/generate.ts --selector 'job="ksm"' --out DIR   your own selector, elsewhere
// Options: --selector, --cluster-label, --sidecar-container, --job-timeout (s), --cronjob-late (s),
// --stale (s), --for DURATION (overrides every for:, for tests), --out DIR (default: this directory).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dashboard } from './dashboard.ts';
import { buildRules, prometheusRule, type RuleOptions, rulesFile } from './rules.ts';

export const FILES = {
  rules: 'kso-alerts.rules.yaml',
  prometheusRule: 'prometheusrule.yaml',
  dashboard: 'kso-dashboard.json',
} as const;

export function parseArgs(argv: string[]): { opts: Partial<RuleOptions>; out: string } {
  const opts: Partial<RuleOptions> = {};
  let out = dirname(fileURLToPath(import.meta.url));
  const num = (flag: string, v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag}: expected a positive number of seconds, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] ?? '').split(/=(.*)/s, 2) as [string, string | undefined];
    const v = inline ?? argv[++i];
    if (v === undefined) throw new Error(`${flag}: missing value`);
    switch (flag) {
      case '--selector':
        opts.selector = v;
        break;
      case '--cluster-label':
        opts.clusterLabel = v;
        break;
      case '--sidecar-container':
        opts.sidecarContainer = v;
        break;
      case '--job-timeout':
        opts.jobTimeoutSeconds = num(flag, v);
        break;
      case '--cronjob-late':
        opts.cronJobLateSeconds = num(flag, v);
        break;
      case '--stale':
        opts.staleSeconds = num(flag, v);
        break;
      case '--for':
        opts.forOverride = v;
        break;
      case '--out':
        out = v;
        break;
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  return { opts, out };
}

/** Writes the three files into `out`; returns their paths. */
export function generate(opts: Partial<RuleOptions>, out: string): Record<keyof typeof FILES, string> {
  mkdirSync(out, { recursive: true });
  const groups = buildRules(opts);
  const paths = {
    rules: join(out, FILES.rules),
    prometheusRule: join(out, FILES.prometheusRule),
    dashboard: join(out, FILES.dashboard),
  };
  writeFileSync(paths.rules, rulesFile(groups));
  writeFileSync(paths.prometheusRule, prometheusRule(groups));
  writeFileSync(paths.dashboard, `${JSON.stringify(dashboard(), null, 2)}\n`);
  return paths;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const { opts, out } = parseArgs(process.argv.slice(2));
    for (const p of Object.values(generate(opts, out))) process.stdout.write(`wrote ${p}\n`);
  } catch (err) {
    process.stderr.write(`generate: ${(err as Error).message}\n`);
    process.exit(2);
  }
}
