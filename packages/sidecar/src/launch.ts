// How a CronJob pod starts the sidecar: `node ${SIDECAR_NODE_FLAGS} ${SIDECAR_ENTRY} sidecar ...`, in
// deploy/sidecar-cronjob, the Helm helper and the benchmark alike (test/manifest.test.ts keeps them equal).
//
// Why not `kso sidecar` from the image's entry point: one sidecar runs per CronJob run, so its peak RSS is
// multiplied by every CronJob. Measured with `npm run bench -- --only sidecar` (1,000 relayed series, OTLP/gRPC,
// in-cluster TLS watch), VmHWM went from ~118 MB (TypeScript sources, --max-semi-space-size=4) to ~66 MB:
// - one CommonJS bundle (scripts/bundle.ts): Node's ESM facade of a builtin such as node:http enumerates its
//   exports and so loads undici, crypto, http2, readline... (~12 MB) however little is used; `require` does not.
//   It also needs no TypeScript stripper (amaro is WebAssembly, which --jitless disables).
// - --jitless: V8 interprets bytecode only, so no compiler runs and no executable code space is mapped: ~27 MB
//   less (file-backed pages of the optimising compilers, their zones and code) and no more CPU for a process
//   that lives seconds (0.21 s vs 0.34 s CPU per run, same bench).
// - --max-semi-space-size=1: a 1 MB young generation (V8 grows it to 16 MB otherwise): ~1.3 MB less at the
//   peak; the sidecar's garbage is small and short-lived.
// Measured and not kept (no gain): --v8-pool-size=1, --single-threaded-gc, a Node compile cache for the bundle.
// Both flags are also accepted in NODE_OPTIONS; argv is used so the command is complete in one place.
export const SIDECAR_NODE_FLAGS: readonly string[] = ['--jitless', '--max-semi-space-size=1'];

/** The bundled entry, relative to the repository root (= the image's WORKDIR, /app). */
export const SIDECAR_ENTRY = 'packages/sidecar/dist/kso-sidecar.cjs';
