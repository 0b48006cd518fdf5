// Node flags kso runs with in production (deploy/Dockerfile ENTRYPOINT, `npm run kso`, the benchmark).
// A small young generation: kso's garbage is short-lived (list pages, re-rendered text) and V8's default
// semi-spaces held ~90 MB more RSS at 10k pods with no CPU gain (npm run bench). V8 reads it only at start-up,
// so it cannot be set from inside the process.
// A fixed old-generation growing factor (limit = 1.5 × live heap after a collection): the bridge runs a full
// collection halfway between scrapes (packages/exporters/src/background-render.ts), but V8's own factor at a
// ~60 MB heap left only ~5 MB of headroom, so it started another collection ~7 s later, inside the next scrape
// (`--trace-gc`: 50–250 ms of marking and finalisation in 5 of 7 scrapes at a 15 s interval). With 1.5 one
// interval's allocations fit and the collections stay between scrapes (npm run bench).
export const KSO_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--heap-growing-percent=50'];

// glibc malloc settings kso runs with (deploy/Dockerfile ENV, the benchmark); read by glibc at process start.
// The rendered exposition lives in thousands of Buffers of 1 KB–1 MB outside the V8 heap, replaced as objects
// change, and a body piece's text is freed once its gzip member exists (packages/exporters/src/piece.ts). glibc
// returns freed memory to the OS only for mmapped chunks and the top of the heap: freed holes in the middle stay
// resident. With its defaults a freed large Buffer also raises the mmap threshold (up to 32 MB), so later blocks
// land in the heap. A fixed 4 KiB threshold gives every block above a page its own mapping, returned on free:
// at 10k pods 258 → 211 MB after gzip scrapes (the dropped text had stayed as holes at 64 KiB), same CPU
// (test/bench/memory-probe.ts). Two arenas bound the per-thread ones (zlib and DNS on the libuv pool).
export const KSO_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '4096',
  MALLOC_TRIM_THRESHOLD_: '131072',
};
