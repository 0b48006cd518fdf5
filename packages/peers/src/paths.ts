import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findKubectl } from '@kso/kube-sim';

/** Binary names produced by test/peers/build.sh. */
export type PeerBinaryName =
  | 'kube-state-metrics'
  | 'otelcol-kso'
  | 'kube-apiserver'
  | 'etcd'
  | 'kubectl'
  | 'helm'
  // Not a program: stands for the Prometheus Operator CRDs build.sh copies to promOperatorCrds().
  | 'prom-crds';
/** build.sh's peer names are accepted as aliases so tests can say what they would pass to the script. */
export type PeerName = PeerBinaryName | 'ksm' | 'otelcol';

const ALIASES: Record<string, PeerBinaryName> = { ksm: 'kube-state-metrics', otelcol: 'otelcol-kso' };

/** Written by ensure.sh (gitignored dir); see readPeersStatus. */
export const STATUS_FILE = fileURLToPath(new URL('../../../test/peers/.build/status.json', import.meta.url));

/** What the last `ensure.sh` run (i.e. `npm test`) did. */
export interface PeersStatus {
  /** ok: all built; failed: some builds failed; off: KSO_PEERS=off; building: ensure.sh did not finish. */
  mode: 'ok' | 'failed' | 'off' | 'building';
  peersDir: string;
  failed: string[];
  /** Full build output of that run. */
  log: string;
}

export function readPeersStatus(file = STATUS_FILE): PeersStatus | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PeersStatus;
  } catch {
    return undefined;
  }
}

/**
 * The peers cache dir; must stay in sync with the PEERS_DIR default in build.sh. Turbo's strict env mode hides
 * KSO_PEERS_DIR from the test processes, so the dir ensure.sh used (recorded in the status file) comes next.
 */
export function peersDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['KSO_PEERS_DIR']) return env['KSO_PEERS_DIR'];
  if (env === process.env) {
    const recorded = readPeersStatus()?.peersDir;
    if (recorded) return recorded;
  }
  const cache = env['XDG_CACHE_HOME'] || join(env['HOME'] || homedir(), '.cache');
  return join(cache, 'kube-state-otel', 'peers');
}

/** Absolute path of a built peer, or undefined when build.sh has not built it (tests then skip). */
export function peerBinary(name: PeerName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = join(peersDir(env), 'bin', ALIASES[name] ?? name);
  try {
    accessSync(file, constants.X_OK);
    return file;
  } catch {
    return undefined;
  }
}

/** The Prometheus Operator CRD YAMLs (ServiceMonitor, PodMonitor, PrometheusRule) copied by `build.sh prom-crds`. */
export function promOperatorCrdsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(peersDir(env), 'crds');
}

/** Real peers are opted out only explicitly: `KSO_PEERS=off` (env, or recorded by ensure.sh under `npm test`). */
export function peersOff(env: NodeJS.ProcessEnv = process.env): boolean {
  return env['KSO_PEERS'] === 'off' || (env === process.env && readPeersStatus()?.mode === 'off');
}

/**
 * The `skip` option for a test that needs peers: skips only when peers are switched off. A missing binary
 * otherwise lets the test run and fail in the start helper with `missingPeerMessage`, so a broken build in CI
 * shows up as failures, not as silent skips.
 */
export function skipUnlessPeers(...names: PeerName[]): string | false {
  const missing = names.filter((n) => peerBinary(n) === undefined);
  if (missing.length === 0 || !peersOff()) return false;
  return `KSO_PEERS=off: real peer(s) ${missing.join(', ')} not built`;
}

/** Throws `missingPeerMessage` unless every named peer is built; returns their paths in order. */
export function requirePeers(...names: PeerName[]): string[] {
  const paths = names.map((n) => peerBinary(n));
  if (paths.some((p) => p === undefined)) throw new Error(missingPeerMessage(...names));
  return paths as string[];
}

/** Why peers are missing, with the tail of the build log when `npm test` tried and failed to build them. */
export function missingPeerMessage(...names: PeerName[]): string {
  const missing = names.filter((n) => peerBinary(n) === undefined);
  const head = `real peer(s) not built: ${missing.join(', ')} (looked in ${peersDir()}/bin)`;
  const status = readPeersStatus();
  if (status?.mode === 'failed' || status?.mode === 'building') {
    let tail = '';
    try {
      tail = readFileSync(status.log, 'utf8').split('\n').slice(-40).join('\n');
    } catch {
      tail = `(build log ${status.log} unreadable)`;
    }
    const what = status.mode === 'failed' ? `failed for ${status.failed.join(', ')}` : 'did not finish';
    return `${head}. The peer build (test/peers/ensure.sh) ${what}; last lines of ${status.log}:\n${tail}`;
  }
  return `${head} — run \`bash test/peers/ensure.sh\` (or \`bash test/peers/build.sh\`), or set KSO_PEERS=off to skip these tests`;
}

/** kubectl for tests: the pinned build from build.sh, else the system one (a gcloud dispatcher on dev machines). */
export function kubectlPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return findKubectl({ ...env, KSO_PEERS_DIR: peersDir(env) });
}
