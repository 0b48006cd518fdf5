// Where tests find kubectl: the pinned build of test/peers/build.sh (what CI has), else a system one.
// Turbo's strict env mode hides KSO_* from test processes, so the default peers dir is the usual answer.
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** KSO_PEERS_DIR (else ~/.cache/kube-state-otel/peers) /bin/kubectl, else /usr/bin/kubectl; undefined when neither. */
export function findKubectl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const cache = env['XDG_CACHE_HOME'] || join(env['HOME'] || homedir(), '.cache');
  const peers = env['KSO_PEERS_DIR'] || join(cache, 'kube-state-otel', 'peers');
  return [join(peers, 'bin', 'kubectl'), '/usr/bin/kubectl'].find(executable);
}
