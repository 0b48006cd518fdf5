// Refreshes the generated tables (configuration, self-metrics) in the root README.md:
//   bash scripts/run.sh node packages/cli/scripts/gen-readme.ts && bash scripts/run.sh pnpm exec biome format --write README.md
import { readFileSync, writeFileSync } from 'node:fs';
import { updateGenerated } from '../src/docs.ts';

const target = new URL('../../../README.md', import.meta.url);
writeFileSync(target, updateGenerated(readFileSync(target, 'utf8')));
process.stdout.write(`updated ${target.pathname}\n`);
