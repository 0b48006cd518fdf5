// The watch layer and the deploy manifests against a real kube-apiserver (v1.33 + etcd 3.5): bookmarks, field
// selectors with objects moving in and out through status patches, 410 after an etcd compaction, RBAC from
// deploy/base applied server-side and used by `kso run` with a ServiceAccount token, and server-side dry-runs of
// every kustomization under deploy/.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  apiRequest,
  httpGet,
  kubeconfig,
  kubectlPath,
  type RealApiServer,
  skipUnlessPeers,
  startRealApiServer,
} from '@kso/peers';
import { loadKubeConfig, Reflector } from '@kso/watch';
import { startKsoRun } from './kso.ts';

const execFileP = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const skip =
  skipUnlessPeers('etcd', 'kube-apiserver') || (!kubectlPath() && 'no kubectl (bash test/peers/build.sh kubectl)');
const POD = { group: '', version: 'v1', plural: 'pods', kind: 'Pod' };

interface RawPod {
  metadata: { name: string; namespace: string; resourceVersion: string; deletionTimestamp?: string };
  status?: { phase?: string };
}
const raw = (o: unknown): RawPod => o as RawPod;

function podSpec(ns: string, name: string, nodeName?: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: 'watch-test' } },
    spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'registry.invalid/c:1' }] },
  };
}

async function waitFor(what: string, pred: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

function reflector(api: RealApiServer, opts: { namespace?: string; fieldSelector?: string; watchTimeout?: number }) {
  const r = new Reflector<RawPod>(loadKubeConfig({ kubeconfig: api.kubeconfigPath }), {
    resource: POD,
    namespace: opts.namespace,
    fieldSelector: opts.fieldSelector,
    compact: raw,
    backoff: { initialMs: 50, maxMs: 500, resetAfterMs: 1_000 },
    watchTimeoutSeconds: { min: opts.watchTimeout ?? 300, max: opts.watchTimeout ?? 300 },
  });
  r.start();
  return r;
}

const names = (r: Reflector<RawPod>): string[] => [...r.items().values()].map((p) => p.metadata.name).sort();

describe('the watch layer and deploy/ against a real kube-apiserver', { skip, timeout: 240_000 }, () => {
  let api: RealApiServer;
  const kubectl = async (args: string[], input?: string, cfg?: string): Promise<string> => {
    const child = execFileP(
      kubectlPath()!,
      ['--kubeconfig', cfg ?? api.kubeconfigPath, '--request-timeout=30s', ...args],
      {
        timeout: 90_000,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    if (input !== undefined) child.child.stdin?.end(input);
    try {
      return (await child).stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`kubectl ${args.join(' ')}: ${e.stderr?.trim() || e.message}`);
    }
  };
  const ns = async (name: string) =>
    api.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  const setPhase = (ns: string, name: string, phase: string) =>
    api.call(
      'PATCH',
      `/api/v1/namespaces/${ns}/pods/${name}/status`,
      { status: { phase } },
      'application/merge-patch+json',
    );

  before(async () => {
    api = await startRealApiServer();
  });
  after(async () => {
    await api?.stop();
  });

  test('bookmarks advance the resume point without events: writes elsewhere move the RV of a quiet namespace', async (t) => {
    await ns('quiet');
    await ns('busy');
    await api.call('POST', '/api/v1/namespaces/quiet/pods', podSpec('quiet', 'q0'));
    // The apiserver schedules a bookmark shortly before a watch's timeout; a short timeout makes that prompt
    // (~5 s). The write in `busy` must come after this watch is registered (its 200): a write that lands in the
    // watch cache before registration is replayed to the new watcher, which filters it out (other namespace)
    // but still advances its own resume point past it (cache_watcher.go processEvents: `*resourceVersion =
    // event.ResourceVersion` for every replayed event), and then drops every bookmark not newer than that.
    // The bookmark RV is the cacher's last processed event, i.e. that very write, so on a quiet cluster no
    // bookmark reaches the client at all, on this watch and on every resume from the same RV, until another
    // Pod write or an etcd progress notification (a stuck RV seen on about one run in five: server side, the
    // reflector got zero BOOKMARK lines over six watches). Kept: up to three reflectors, as a safety net.
    // In production this only delays the resume point of a quiet namespace; freshness (/healthz) counts clean
    // watch ends, so it is unaffected.
    const failures: string[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const r = reflector(api, { namespace: 'quiet', watchTimeout: 6 });
      try {
        await r.synced;
        assert.deepEqual(names(r), ['q0']);
        const events: string[] = [];
        r.onEvent((e) => events.push(`${e.type} ${raw(e.object).metadata.name}`));
        await waitFor('watch registered', () => r.stats().watching);
        const created = raw(await api.call('POST', '/api/v1/namespaces/busy/pods', podSpec('busy', `b${attempt}`)));
        const target = BigInt(created.metadata.resourceVersion);
        const advanced = await waitFor(
          'a bookmark carrying an RV at or past the write in another namespace',
          () => {
            const rv = r.stats().resourceVersion;
            return rv !== '' && BigInt(rv) >= target;
          },
          40_000,
        ).then(
          () => true,
          (err: Error) => {
            failures.push(`attempt ${attempt}: ${err.message}; target RV ${target}; ${JSON.stringify(r.stats())}`);
            return false;
          },
        );
        if (!advanced) continue;
        assert.deepEqual(events, [], 'no event from the other namespace leaked through');
        assert.equal(r.stats().relists, 0);
        const st = r.stats();
        t.diagnostic(
          `attempt ${attempt}: ${st.bookmarks} bookmarks (${st.staleBookmarks} not advancing), RV ${st.resourceVersion} ≥ ${target}`,
        );
        if (failures.length > 0) t.diagnostic(`bookmark came on a fresh reflector after: ${failures.join(' | ')}`);
        return;
      } finally {
        await r.stop();
      }
    }
    assert.fail(`no bookmark advanced the resume point: ${failures.join(' | ')}`);
  });

  test('kube-apiserver drops every bookmark for a watch whose replay held only filtered-out writes (why the test above writes after the watch opens)', async (t) => {
    await ns('replay-quiet');
    await ns('replay-busy');
    await api.call('POST', '/api/v1/namespaces/replay-quiet/pods', podSpec('replay-quiet', 'q'));
    // The peer harness parses a body of exactly one JSON line (a single event) into that object.
    const bookmarksOf = (body: unknown) =>
      (typeof body === 'string'
        ? body
            .split('\n')
            .filter((l) => l.trim() !== '')
            .map((l) => JSON.parse(l) as { type: string; object: RawPod })
        : [body as { type: string; object: RawPod }]
      )
        .filter((e) => e.type === 'BOOKMARK')
        .map((e) => BigInt(e.object.metadata.resourceVersion));
    const watch = (rv: string) =>
      api.call(
        'GET',
        `/api/v1/namespaces/replay-quiet/pods?watch=1&allowWatchBookmarks=true&timeoutSeconds=6&resourceVersion=${rv}`,
      );
    const listRv = async () =>
      (
        raw(await api.call('GET', '/api/v1/namespaces/replay-quiet/pods')) as unknown as {
          metadata: { resourceVersion: string };
        }
      ).metadata.resourceVersion;
    // Write first, then watch from before it: the write is replayed to the new watcher and filtered out.
    const before = await listRv();
    const early = raw(await api.call('POST', '/api/v1/namespaces/replay-busy/pods', podSpec('replay-busy', 'early')));
    const replayed = bookmarksOf(await watch(before));
    // Watch first, then write: the write reaches the open watcher live.
    const from = await listRv();
    const open = watch(from);
    await sleep(1_000);
    const late = raw(await api.call('POST', '/api/v1/namespaces/replay-busy/pods', podSpec('replay-busy', 'late')));
    const live = bookmarksOf(await open);
    t.diagnostic(
      `replayed write ${early.metadata.resourceVersion}: bookmarks ${replayed}; live write ${late.metadata.resourceVersion}: bookmarks ${live}`,
    );
    assert.ok(
      live.some((rv) => rv >= BigInt(late.metadata.resourceVersion)),
      'a live write is followed by a bookmark',
    );
    assert.deepEqual(
      replayed,
      [],
      'after a filtered replay, no bookmark at all (the cacher sends its last event RV, not newer than the watcher)',
    );
  });

  test('field selector status.phase=Running: status patches move pods in (add) and out (delete)', async () => {
    await ns('phases');
    for (const n of ['p1', 'p2', 'p3'])
      await api.call('POST', '/api/v1/namespaces/phases/pods', podSpec('phases', n, 'node-a'));
    await setPhase('phases', 'p1', 'Running');
    const r = reflector(api, { namespace: 'phases', fieldSelector: 'status.phase=Running' });
    try {
      await r.synced;
      assert.deepEqual(names(r), ['p1'], 'only the Running pod is listed');
      const events: string[] = [];
      r.onEvent((e) => {
        const o = raw(e.object);
        events.push(
          `${e.type} ${o.metadata.name} ${o.status?.phase}${o.metadata.deletionTimestamp ? ' deleting' : ''}`,
        );
      });
      await setPhase('phases', 'p2', 'Running');
      await waitFor('p2 to enter', () => names(r).includes('p2'));
      await setPhase('phases', 'p1', 'Succeeded');
      await waitFor('p1 to leave', () => !names(r).includes('p1'));
      await api.call(
        'PATCH',
        '/api/v1/namespaces/phases/pods/p3',
        { metadata: { labels: { touched: 'yes' } } },
        'application/merge-patch+json',
      );
      await setPhase('phases', 'p2', 'Running'); // no-op patch: nothing to report
      await api.call('DELETE', '/api/v1/namespaces/phases/pods/p2?gracePeriodSeconds=0');
      await waitFor('p2 deleted', () => !names(r).includes('p2'));
      // The label-only patch of p3 and the no-op status patch produce nothing; deleting a bound pod first sets
      // its deletionTimestamp (an update), even with gracePeriodSeconds=0.
      assert.deepEqual(events, [
        'add p2 Running',
        'delete p1 Running',
        'update p2 Running deleting',
        'delete p2 Running deleting',
      ]);
      const server = (await api.call('GET', '/api/v1/namespaces/phases/pods?fieldSelector=status.phase%3DRunning')) as {
        items: unknown[];
      };
      assert.deepEqual(names(r), server.items.map((p) => raw(p).metadata.name).sort(), 'matches the server');
    } finally {
      await r.stop();
    }
  });

  test('every kustomization under deploy/ passes kubectl apply --dry-run=server', async () => {
    const dirs = ['deploy/base', 'deploy/sidecar-cronjob'];
    for (const d of await readdir(join(REPO, 'deploy/overlays'))) dirs.push(`deploy/overlays/${d}`);
    for (const d of dirs) {
      const rendered = await kubectl(['kustomize', join(REPO, d)]);
      // A dry run persists nothing, so namespaced objects would fail on their not-yet-existing namespace. This runs
      // before the RBAC test applies deploy/base for real, i.e. against a cluster that has none of it yet.
      for (const m of rendered.matchAll(/^kind: Namespace\n(?:.*\n)*?\s+name: (\S+)/gm)) {
        await kubectl(['create', 'namespace', m[1]!]).catch((e: Error) => {
          if (!/AlreadyExists/.test(e.message)) throw e;
        });
      }
      const out = await kubectl(['apply', '--dry-run=server', '-f', '-'], rendered);
      const lines = out.trim().split('\n');
      assert.ok(lines.length >= 3, `${d}: ${out}`);
      for (const l of lines) assert.match(l, /\(server dry run\)$/, `${d}: ${l}`);
    }
  });

  test('deploy/base RBAC applied with kubectl apply --server-side lets kso run list and watch with a ServiceAccount token, nothing more', async () => {
    const rendered = await kubectl(['kustomize', join(REPO, 'deploy/base')]);
    const applied = await kubectl(['apply', '--server-side', '--field-manager=kso-e2e', '-f', '-'], rendered);
    assert.match(applied, /clusterrole\.rbac\.authorization\.k8s\.io\/kube-state-otel serverside-applied/);
    assert.match(applied, /serviceaccount\/kube-state-otel serverside-applied/);
    const token = (
      await kubectl(['-n', 'kube-state-otel', 'create', 'token', 'kube-state-otel', '--duration=1h'])
    ).trim();
    const dir = await mkdtemp(join(tmpdir(), 'kso-rbac-'));
    try {
      const saConfig = join(dir, 'kubeconfig');
      await writeFile(saConfig, kubeconfig(api.url, api.caPem, token), { mode: 0o600 });
      const whoami = JSON.parse(await kubectl(['auth', 'whoami', '-o', 'json'], undefined, saConfig));
      assert.equal(whoami.status.userInfo.username, 'system:serviceaccount:kube-state-otel:kube-state-otel');
      // Least privilege is real: no secrets, no writes.
      const denied = await httpGet(`${api.url}/api/v1/secrets`, { ca: api.caPem, token });
      assert.equal(denied.status, 403);
      await assert.rejects(
        apiRequest(`${api.url}/api/v1/namespaces/default/pods`, {
          method: 'POST',
          body: podSpec('default', 'x'),
          ca: api.caPem,
          token,
        }),
        /HTTP 403/,
      );

      await ns('rbac');
      await api.call('POST', '/api/v1/namespaces/rbac/pods', podSpec('rbac', 'seen-before'));
      const kso = await startKsoRun(saConfig, ['--schema', 'ksm']);
      try {
        await api.call('POST', '/api/v1/namespaces/rbac/pods', podSpec('rbac', 'seen-after'));
        await waitFor('both pods in kso /metrics', async () => {
          const text = await kso.scrape();
          return text.includes('pod="seen-before"') && text.includes('pod="seen-after"');
        });
        assert.doesNotMatch(kso.proc.output(), /forbidden|(?<!Ms":)\b403\b/i, 'no authorization errors logged');
      } finally {
        await kso.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

test('410 after an etcd compaction: the reflector relists and ends up equal to the server', {
  skip,
  timeout: 180_000,
}, async () => {
  // Without the watch cache, watches are served by etcd itself, so a resume point older than etcd's compacted
  // revision gets the real "too old resource version" (410) from the server.
  const api = await startRealApiServer({ extraArgs: ['--watch-cache=false'] });
  try {
    for (const n of ['a', 'b'])
      await api.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } });
    await api.call('POST', '/api/v1/namespaces/a/pods', podSpec('a', 'a0'));
    const r = reflector(api, { namespace: 'a', watchTimeout: 2 });
    try {
      await r.synced;
      const rvBefore = BigInt(r.stats().resourceVersion);
      await api.call('DELETE', '/api/v1/namespaces/a/pods/a0?gracePeriodSeconds=0');
      await api.call('POST', '/api/v1/namespaces/a/pods', podSpec('a', 'a1'));
      await waitFor('the reflector to see a1', () => names(r).includes('a1'));
      const seenRv = BigInt(r.stats().resourceVersion);
      // Writes the reflector does not watch move etcd's revision past its resume point, so the compaction below
      // removes the revision it will resume from when its 2 s watch ends.
      for (let i = 0; i < 5; i++) await api.call('POST', '/api/v1/namespaces/b/pods', podSpec('b', `b${i}`));
      const range = (await apiRequest(`${api.etcdUrl}/v3/kv/range`, {
        method: 'POST',
        body: { key: Buffer.from('/').toString('base64') },
      })) as {
        header: { revision: string };
      };
      const compactTo = BigInt(range.header.revision);
      assert.ok(compactTo > seenRv && seenRv > rvBefore);
      await apiRequest(`${api.etcdUrl}/v3/kv/compaction`, {
        method: 'POST',
        body: { revision: `${compactTo}`, physical: true },
      });
      await waitFor('a relist after 410', () => r.stats().relists >= 1, 60_000);
      // After the relist the reflector watches again from the list's RV: a new pod still arrives.
      await api.call('POST', '/api/v1/namespaces/a/pods', podSpec('a', 'a2'));
      await waitFor('reflector equal to the server', async () => {
        const server = (await api.call('GET', '/api/v1/namespaces/a/pods')) as { items: unknown[] };
        return JSON.stringify(names(r)) === JSON.stringify(server.items.map((p) => raw(p).metadata.name).sort());
      });
      assert.deepEqual(names(r), ['a1', 'a2']);
      assert.ok(r.stats().watchRestarts >= 1);
    } finally {
      await r.stop();
    }
  } finally {
    await api.stop();
  }
});
