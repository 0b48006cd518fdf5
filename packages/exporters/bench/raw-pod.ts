// A realistic raw Deployment pod (2 containers, requests/limits, conditions, owner, tolerations), varied by index.
export function rawPod(i: number, restarts = i % 7): Record<string, unknown> {
  const hex = i.toString(16).padStart(12, '0');
  const rs = `web-${(i % 997).toString(36)}-7d9f8b6c5d`;
  const created = new Date((1_700_000_000 + i) * 1000).toISOString().replace('.000Z', 'Z');
  const running = i % 10 !== 0;
  const container = (name: string) => ({
    name,
    image: `registry.example.com/${name}:1.2.3`,
    resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
  });
  const status = (name: string) => ({
    name,
    image: `registry.example.com/${name}:1.2.3`,
    imageID: `registry.example.com/${name}@sha256:0123456789abcdef0123456789abcdef`,
    containerID: `containerd://${hex}${name}`,
    ready: running,
    restartCount: restarts,
    started: running,
    state: running ? { running: { startedAt: created } } : { waiting: { reason: 'ContainerCreating' } },
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${rs}-${hex.slice(-5)}`,
      namespace: `team-${i % 50}`,
      uid: `7d3f9a2e-1b4c-4e8a-9f00-${hex}`,
      creationTimestamp: created,
      labels: { app: 'web', 'pod-template-hash': '7d9f8b6c5d' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs, uid: `rs-${i % 997}`, controller: true },
      ],
    },
    spec: {
      nodeName: `node-${i % 100}`,
      restartPolicy: 'Always',
      serviceAccountName: 'default',
      priorityClassName: 'standard',
      containers: [container('app'), container('sidecar')],
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
    },
    status: {
      phase: running ? 'Running' : 'Pending',
      qosClass: 'Burstable',
      hostIP: '10.0.0.1',
      podIP: '10.244.1.7',
      podIPs: [{ ip: '10.244.1.7' }],
      startTime: created,
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: created },
        { type: 'Initialized', status: 'True', lastTransitionTime: created },
        { type: 'ContainersReady', status: running ? 'True' : 'False', lastTransitionTime: created },
        { type: 'Ready', status: running ? 'True' : 'False', lastTransitionTime: created },
      ],
      containerStatuses: [status('app'), status('sidecar')],
    },
  };
}
