// Node flags kso runs with in production (deploy/Dockerfile ENTRYPOINT, `npm run kso`, the benchmark).
// A small young generation: kso's garbage is short-lived (list pages, re-rendered text) and V8's default
// semi-spaces held ~90 MB more RSS at 10k pods with no CPU gain (npm run bench). V8 reads it only at start-up,
// so it cannot be set from inside the process.
export const KSO_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
