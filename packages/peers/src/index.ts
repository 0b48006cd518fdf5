// Harnesses for the real peers the tests run against (built by test/peers/build.sh into the shared cache):
// where their binaries are, spawning them with port waits and log tails, a real kube-apiserver (with etcd) and
// a real Collector. A package of its own so any package's tests can import it by name (`@kso/peers`).
export * from './apiserver.ts';
export * from './collector.ts';
export * from './paths.ts';
export * from './process.ts';
