// Fidelity with kubectl: the pinned build from test/peers/build.sh, or a system one.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { findKubectl, type KubeSim } from '../src/index.ts';
import type { KObj } from '../src/resources.ts';
import { job, pod, sim as startSim, until } from './helpers.ts';

const exec = promisify(execFile);
const KUBECTL = findKubectl() ?? 'kubectl';

describe('kubectl against kube-sim', {
  skip: findKubectl() ? false : 'kubectl not installed (bash test/peers/build.sh kubectl)',
}, () => {
  let sim: KubeSim;
  let dir: string;
  let kubeconfig: string;
  const children: ChildProcess[] = [];
  // Async: the server runs in this process, a synchronous exec would block it.
  const kubectl = (...args: string[]) => exec(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { timeout: 20_000 });

  before(async () => {
    sim = await startSim();
    dir = mkdtempSync(join(tmpdir(), 'kube-sim-kubectl-'));
    kubeconfig = join(dir, 'kubeconfig');
    await sim.writeKubeconfig(kubeconfig);
    sim.cluster.create(pod('web-1', 'shop', { app: 'web' }, 'Running'));
    sim.cluster.create(pod('web-2', 'shop', { app: 'web' }, 'Pending'));
    sim.cluster.create(pod('db-1', 'data', { app: 'db' }, 'Running'));
    sim.cluster.create(job('nightly', 'shop'));
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('kubectl version reports the simulated server', async () => {
    const { stdout } = await kubectl('version', '-o', 'json');
    assert.equal(JSON.parse(stdout).serverVersion.gitVersion, 'v1.33.1');
  });

  test('get pods -A prints server-side table rows for every namespace', async () => {
    const { stdout } = await kubectl('get', 'pods', '-A');
    const lines = stdout.trim().split('\n');
    assert.match(lines[0]!, /^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    const rows = lines.slice(1).map((l) => l.split(/\s+/).slice(0, 4).join(' '));
    assert.deepEqual(rows, ['data db-1 0/1 Running', 'shop web-1 0/1 Running', 'shop web-2 0/1 Pending']);
  });

  test('get with a label selector and -o json', async () => {
    const { stdout } = await kubectl('get', 'pods', '-n', 'shop', '-l', 'app=web', '-o', 'json');
    const list = JSON.parse(stdout);
    assert.deepEqual(
      list.items.map((p: KObj) => p.metadata.name),
      ['web-1', 'web-2'],
    );
  });

  test('get pods --watch prints the current pods, then changes', async () => {
    const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, 'get', 'pods', '-n', 'shop', '--watch', '--no-headers'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
    });
    child.stderr!.on('data', (d) => {
      out += d;
    });
    await until('initial rows', () => out.includes('web-1') && out.includes('web-2'), 15_000);
    sim.cluster.create(pod('web-3', 'shop', { app: 'web' }, 'Running'));
    await until('watched row', () => /web-3\s+0\/1\s+Running/.test(out), 15_000);
    child.kill('SIGTERM');
  });

  test('patch job --subresource=status --type=merge', async () => {
    const { stdout } = await kubectl(
      'patch',
      'job',
      'nightly',
      '-n',
      'shop',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"succeeded":1,"active":0}}',
    );
    assert.match(stdout, /job.batch\/nightly patched/);
    const j = sim.cluster.get('Job', 'shop', 'nightly');
    assert.deepEqual([j.status.succeeded, j.status.active], [1, 0]);
  });

  test('delete, and NotFound errors surface as kubectl errors', async () => {
    await kubectl('delete', 'pod', 'web-2', '-n', 'shop', '--wait=false');
    assert.equal(sim.cluster.get('Pod', 'shop', 'web-2'), undefined);
    await assert.rejects(kubectl('get', 'pod', 'web-2', '-n', 'shop'), (e: KObj) =>
      /NotFound|not found/.test(e.stderr),
    );
  });
});
