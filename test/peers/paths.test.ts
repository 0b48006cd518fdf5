import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { kubectlPath, peerBinary, peersDir, peersOff } from '@kso/peers';

test('peersDir follows build.sh: KSO_PEERS_DIR, then XDG_CACHE_HOME, then ~/.cache', () => {
  assert.equal(peersDir({ KSO_PEERS_DIR: '/x/peers', XDG_CACHE_HOME: '/c', HOME: '/h' }), '/x/peers');
  assert.equal(peersDir({ XDG_CACHE_HOME: '/c', HOME: '/h' }), '/c/kube-state-otel/peers');
  assert.equal(peersDir({ HOME: '/h' }), '/h/.cache/kube-state-otel/peers');
});

test('peerBinary finds executables only, and maps build.sh peer names to binaries', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kso-peers-'));
  try {
    const env = { KSO_PEERS_DIR: dir };
    await mkdir(join(dir, 'bin'));
    assert.equal(peerBinary('ksm', env), undefined);
    await writeFile(join(dir, 'bin', 'kube-state-metrics'), '#!/bin/sh\n');
    assert.equal(peerBinary('ksm', env), undefined, 'not executable yet');
    await chmod(join(dir, 'bin', 'kube-state-metrics'), 0o755);
    assert.equal(peerBinary('ksm', env), join(dir, 'bin', 'kube-state-metrics'));
    assert.equal(peerBinary('kube-state-metrics', env), join(dir, 'bin', 'kube-state-metrics'));
    assert.equal(peerBinary('otelcol', env), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('kubectlPath prefers the pinned build, else the system kubectl', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kso-peers-'));
  try {
    const env = { KSO_PEERS_DIR: dir };
    await mkdir(join(dir, 'bin'));
    const system = kubectlPath(env);
    assert.ok(system === '/usr/bin/kubectl' || system === undefined);
    await writeFile(join(dir, 'bin', 'kubectl'), '#!/bin/sh\n');
    await chmod(join(dir, 'bin', 'kubectl'), 0o755);
    assert.equal(kubectlPath(env), join(dir, 'bin', 'kubectl'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('peers are switched off only explicitly', () => {
  assert.equal(peersOff({ KSO_PEERS: 'off' }), true);
  assert.equal(peersOff({ KSO_PEERS: '0' }), false);
  assert.equal(peersOff({}), false);
});
