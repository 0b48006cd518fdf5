import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { options } from '../src/config.ts';
import { normalizeTables, updateGenerated } from '../src/docs.ts';

const README = new URL('../../../README.md', import.meta.url);

test('README configuration and self-metrics tables match the schema (node packages/cli/scripts/gen-readme.ts)', () => {
  const text = readFileSync(README, 'utf8');
  assert.equal(normalizeTables(text), normalizeTables(updateGenerated(text)));
  for (const o of options()) assert.ok(text.includes(`\`${o.env}\``), `${o.env} documented`);
  assert.ok(text.includes('kso_watch_last_sync_age_seconds'));
});
