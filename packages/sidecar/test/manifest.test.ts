// deploy/sidecar-cronjob follows the measurement and is safe in a real pod: the sidecar's memory limit holds
// the benchmarked peak with 25% headroom (the test runs the bench scenario itself), seccomp RuntimeDefault,
// a startupProbe on the probe port, the ServiceAccount token only in the sidecar, downward-API identity.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseQuantity } from '@kso/model';
import { SERVICE_ACCOUNT_DIR } from '@kso/watch';
import { parse } from 'yaml';
import { runSidecarScenario } from '../bench/scenario.ts';
import { DEFAULT_OUTFILE } from '../scripts/bundle.ts';
import { SIDECAR_ENTRY, SIDECAR_NODE_FLAGS } from '../src/launch.ts';
import { warmPodCompileCache } from './process.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const file = join(ROOT, 'deploy/sidecar-cronjob/cronjob.yaml');

// biome-ignore lint/suspicious/noExplicitAny: the manifest is walked ad hoc; assertions check its shape
type Obj = Record<string, any>;

function podSpec(): Obj {
  return (parse(readFileSync(file, 'utf8')) as Obj)['spec']['jobTemplate']['spec']['template']['spec'];
}
const sidecarOf = (spec: Obj): Obj => (spec['initContainers'] as Obj[]).find((c) => c['args']?.[0] === 'sidecar')!;

test('the sidecar memory limit holds the measured peak RSS with 25% headroom', { timeout: 120_000 }, async (t) => {
  const limit = sidecarOf(podSpec())['resources']['limits']['memory'] as string;
  const limitMiB = parseQuantity(limit) / 2 ** 20;
  // The compile cache warmed as the image ships it; the scenario runs the manifest's command (checked below).
  const cache = mkdtempSync(join(tmpdir(), 'kso-sidecar-cache-'));
  t.after(() => rmSync(cache, { recursive: true, force: true }));
  await warmPodCompileCache(cache);
  const r = await runSidecarScenario({ run: 1, env: { NODE_COMPILE_CACHE: cache } });
  assert.equal(r.exitCode, 0);
  assert.ok(
    r.peakRssMb <= 0.75 * limitMiB,
    `peak VmHWM ${r.peakRssMb} MiB exceeds 75% of the ${limit} limit (${0.75 * limitMiB} MiB): raise the limit in ${file} or cut the footprint`,
  );
});

test('the manifest, the image and the benchmark start the sidecar with one command line', () => {
  // The bench measures `node SIDECAR_NODE_FLAGS <bundle> sidecar ...`; a pod running anything else is unmeasured.
  assert.deepEqual(sidecarOf(podSpec())['command'], ['node', ...SIDECAR_NODE_FLAGS, SIDECAR_ENTRY]);
  assert.equal(relative(ROOT, DEFAULT_OUTFILE), SIDECAR_ENTRY, 'bundle.ts writes where the manifest looks');
  const dockerfile = readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8');
  assert.match(
    dockerfile,
    /^COPY --from=sidecar-bundle \/app\/packages\/sidecar\/dist /m,
    'the image ships the bundle',
  );
  // Node keys its compile cache by uid and V8 flags: the image must warm it as the pod's user, with its flags.
  const uid = podSpec()['securityContext']['runAsUser'] as number;
  const warm = `node ${SIDECAR_NODE_FLAGS.join(' ')} ${SIDECAR_ENTRY} sidecar --help`;
  const asPodUser = new RegExp(
    `^USER ${uid}:\\d+\\n(RUN|  &&) [^\\n]*${warm.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
    'm',
  );
  assert.match(dockerfile, asPodUser, `the Dockerfile warms the sidecar's compile cache as uid ${uid} with its flags`);
  const helper = readFileSync(join(ROOT, 'deploy/helm/kube-state-otel/templates/_helpers.tpl'), 'utf8');
  assert.ok(
    helper.includes(`command: ${JSON.stringify(['node', ...SIDECAR_NODE_FLAGS, SIDECAR_ENTRY]).replaceAll(',', ', ')}`),
    'the Helm sidecar helper runs the same command',
  );
});

test('the pod is locked down: seccomp, token only in the sidecar, startupProbe, downward-API identity', () => {
  const spec = podSpec();
  assert.equal(spec['securityContext']['seccompProfile']['type'], 'RuntimeDefault');
  assert.equal(spec['automountServiceAccountToken'], false, 'no token for the main container');
  const sc = sidecarOf(spec);
  assert.equal(sc['restartPolicy'], 'Always');

  // The token comes from a projected volume mounted only into the sidecar, where the in-cluster loader looks.
  const tokenVolumes = (spec['volumes'] as Obj[]).filter((v) =>
    (v['projected']?.['sources'] as Obj[] | undefined)?.some((s) => s['serviceAccountToken']),
  );
  assert.equal(tokenVolumes.length, 1);
  const vol = tokenVolumes[0]!;
  const sources = vol['projected']['sources'] as Obj[];
  assert.ok(
    sources.some((s) => s['configMap']?.['name'] === 'kube-root-ca.crt'),
    'cluster CA projected',
  );
  const mount = (sc['volumeMounts'] as Obj[]).find((m) => m['name'] === vol['name']);
  assert.equal(mount?.['mountPath'], SERVICE_ACCOUNT_DIR);
  assert.equal(mount?.['readOnly'], true);
  for (const c of spec['containers'] as Obj[])
    assert.ok(
      !(c['volumeMounts'] as Obj[] | undefined)?.some((m) => m['name'] === vol['name']),
      `${c['name']} has no token`,
    );

  // The startupProbe hits the probe listener the sidecar is told to open (the kubelet probes the Pod IP).
  const probe = sc['startupProbe']['httpGet'];
  assert.equal(probe['path'], '/readyz');
  const listen = (sc['args'] as string[]).find((a) => a.startsWith('--probe-listen='));
  assert.match(listen ?? '', new RegExp(`^--probe-listen=0\\.0\\.0\\.0:${probe['port']}$`));
  const push = (sc['args'] as string[]).find((a) => a.startsWith('--push-listen='));
  assert.match(push ?? '', /^--push-listen=127\.0\.0\.1:\d+$/, 'the push API stays on localhost');

  const env = new Map((sc['env'] as Obj[]).map((e) => [e['name'], e['valueFrom']?.['fieldRef']?.['fieldPath']]));
  assert.equal(env.get('KSO_POD'), 'metadata.name');
  assert.equal(env.get('KSO_POD_NAMESPACE'), 'metadata.namespace');
  assert.equal(env.get('KSO_POD_UID'), 'metadata.uid');
});
