import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runKso } from './helpers.ts';

test('help, version and per-command help exit 0 and document the commands', async () => {
  const help = await runKso(['help']);
  assert.equal(help.code, 0);
  for (const c of ['run', 'render', 'demo', 'sim', 'sidecar']) assert.match(help.stdout, new RegExp(`^  ${c} `, 'm'));
  const v = await runKso(['version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^kso \d+\.\d+\.\d+/);
  const runHelp = await runKso(['run', '--help']);
  assert.equal(runHelp.code, 0);
  assert.match(runHelp.stdout, /--otlp-endpoint +KSO_OTLP_ENDPOINT/);
});

test('unknown command: exit 2 with one clear line', async () => {
  const r = await runKso(['frobnicate']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /unknown command "frobnicate"/);
});
