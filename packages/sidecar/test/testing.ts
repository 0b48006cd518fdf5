// `@kso/sidecar/testing`: the sidecar's test fixtures for other packages' tests (test/peers/collector-e2e
// drives the same CronJob run against a real Collector): the Job/Pod of a run, and a real Pushgateway.
export { createRun, NS, terminateMain } from './fixtures.ts';
export { startPushgateway } from './helpers.ts';
