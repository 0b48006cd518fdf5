// `kso sim` entry point: starts, serves, writes the kubeconfig, stops on SIGTERM, rejects bad arguments.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runSimCli } from '../src/index.ts';
import { until } from './helpers.ts';

test('runSimCli serves the chosen scenario until SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kube-sim-cli-'));
  const kc = join(dir, 'kubeconfig');
  const lines: string[] = [];
  try {
    const run = runSimCli(
      [
        '--port',
        '0',
        '--scenario',
        'scale',
        '--pods',
        '50',
        '--jobs',
        '5',
        '--write-kubeconfig',
        kc,
        '--log-level',
        'silent',
      ],
      (s) => lines.push(s),
    );
    const url = await until('listening line', () => lines.join('\n').match(/listening on (http:\/\/\S+)/)?.[1]);
    assert.match(readFileSync(kc, 'utf8'), new RegExp(`server: ${url}`));
    const pods = (await (await fetch(`${url}/api/v1/pods`)).json()) as { items: unknown[] };
    assert.equal(pods.items.length, 50);
    process.emit('SIGTERM');
    assert.equal(await run, 0);
    await assert.rejects(fetch(`${url}/api/v1/pods`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runSimCli rejects bad arguments with exit code 2', async () => {
  assert.equal(await runSimCli(['--scenario', 'nope', '--log-level', 'silent']), 2);
  assert.equal(await runSimCli(['--pods', '-3', '--log-level', 'silent']), 2);
  assert.equal(await runSimCli(['--bogus']), 2);
});
