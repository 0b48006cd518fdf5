// `npm test`: type-check and lint the whole tree, run every package's tests through turbo,
// then print one summary line summed over all packages (CI reads it).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkIntegrity, countJunit } from './test-report.mjs';

const root = new URL('..', import.meta.url).pathname;
const env = { ...process.env, FORCE_COLOR: '0' };
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env }).status ?? 1;

// Every workspace with a `test` script must leave a complete report (checked below).
const workspaces = ['test', ...readdirSync(join(root, 'packages')).map((p) => join('packages', p))].filter(
  (p) =>
    existsSync(join(root, p, 'package.json')) &&
    JSON.parse(readFileSync(join(root, p, 'package.json'), 'utf8')).scripts?.test,
);
for (const ws of workspaces) rmSync(join(root, ws, '.reports'), { recursive: true, force: true });

let extraFailed = 0;
console.error('[test] installing test prerequisites (Debian prometheus, pushgateway) when missing');
if (run('bash', ['scripts/test-deps.sh']) !== 0)
  console.error('[test] some prerequisites are missing; dependent tests will report it');
console.error('[test] building real peers (Go) when missing or outdated; KSO_PEERS=off skips them');
if (run('bash', ['test/peers/ensure.sh']) !== 0)
  console.error('[test] some real peers failed to build; the tests that need them will fail');
console.error('[test] type-check and lint');
if (
  run('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']) !== 0 ||
  run('pnpm', ['exec', 'biome', 'check', '--diagnostic-level=error', '.']) !== 0
) {
  console.error('[test] type-check or lint failed');
  extraFailed += 1;
}
console.error('[test] running tests in every package');
const testStatus = run('pnpm', ['exec', 'turbo', 'run', 'test', '--continue', '--concurrency=2']);

let passed = 0;
let failed = 0;
let skipped = 0;
const broken = [];
for (const ws of workspaces) {
  const counts = countJunit(join(root, ws, '.reports'));
  if (typeof counts === 'string') broken.push(`${ws}: ${counts}`);
  else {
    passed += counts.passed;
    failed += counts.failed;
    skipped += counts.skipped;
    broken.push(...checkIntegrity(join(root, ws, '.reports'), counts.testcases, root).map((p) => `${ws}: ${p}`));
  }
}
// The summary line has to equal the tests that ran: a report that is missing, cut short or holding
// fewer verdicts than the files' own processes counted is a failure, never a smaller pass count.
for (const problem of broken) console.error(`[test] INCOMPLETE RESULTS ${problem}`);
extraFailed += broken.length;
// A package whose runner crashed before writing results still has to fail the run.
if (testStatus !== 0 && failed === 0) extraFailed += 1;
failed += extraFailed;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
