import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Binary names produced by test/peers/build.sh. */
export type PeerBinaryName = 'kube-state-metrics' | 'otelcol-kso' | 'kube-apiserver' | 'etcd';
/** build.sh's peer names are accepted as aliases so tests can say what they would pass to the script. */
export type PeerName = PeerBinaryName | 'ksm' | 'otelcol';

const ALIASES: Record<string, PeerBinaryName> = { ksm: 'kube-state-metrics', otelcol: 'otelcol-kso' };

/** The peers cache dir; must stay in sync with the PEERS_DIR default in build.sh. */
export function peersDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['KSO_PEERS_DIR']) return env['KSO_PEERS_DIR'];
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

/** The message tests print when they skip for lack of a peer, so the fix is obvious. */
export function missingPeerMessage(...names: PeerName[]): string {
  const missing = names.filter((n) => peerBinary(n) === undefined);
  return `real peer(s) not built: ${missing.join(', ')} — run \`bash test/peers/build.sh\` (cache: ${peersDir()}/bin)`;
}
