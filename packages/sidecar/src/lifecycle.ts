// What a change of our own Pod means for the sidecar, as a pure function of the previous and the new view: the
// final flush when every main container has terminated, an early flush on eviction/preemption/deletion.

import type { PodView } from './pod-view.ts';

export type PodAction =
  | { readonly kind: 'finish'; readonly trigger: 'main-container-terminated' }
  | { readonly kind: 'flush-early'; readonly reason: string }
  | { readonly kind: 'none' };

/** Why the Pod is going away (DisruptionTarget reason, or its deletionTimestamp), if it is. */
function disruptionOf(pod: PodView | undefined): string | undefined {
  return pod ? (pod.disruption ?? (pod.deleting ? 'deletionTimestamp' : undefined)) : undefined;
}

export function podAction(before: PodView | undefined, now: PodView, exitOnMainDone: boolean): PodAction {
  if (now.mainDone && !before?.mainDone && exitOnMainDone)
    return { kind: 'finish', trigger: 'main-container-terminated' };
  // Eviction, preemption, deletion: the kubelet will SIGTERM the main container and us within ONE grace
  // period, and we are stopped last. Push what we have now rather than hope that time is left then.
  const disrupted = disruptionOf(now);
  if (disrupted && !disruptionOf(before)) return { kind: 'flush-early', reason: disrupted };
  return { kind: 'none' };
}

/** Main containers that terminated with this change (each is logged once). */
export function newlyTerminated(before: PodView | undefined, now: PodView): PodView['terminated'] {
  return now.terminated.filter((c) => !before?.terminated.some((b) => b.name === c.name));
}
