// Regenerates packages/metrics/METRICS.md from the family tables: node scripts/gen-docs.ts
import { writeFileSync } from 'node:fs';
import { renderMetricsReference } from '../src/index.ts';

const target = new URL('../METRICS.md', import.meta.url);
writeFileSync(target, renderMetricsReference());
process.stdout.write(`wrote ${target.pathname}\n`);
