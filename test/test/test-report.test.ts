// The summary line of `npm test` must equal the tests that ran (scripts/test.mjs sums each workspace's
// junit report). These run node's test runner the way every package's `test` script does, on fixture
// files, and check what the summary would be told: a file that leaves a server open fails loudly instead of
// hanging the run, and results lost between a file's process and the runner are reported, never summed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { checkIntegrity, countJunit } from '../../scripts/test-report.mjs';

const scripts = new URL('../../scripts/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'kso-test-report-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs node --test on `files` in a fresh fixture directory with the packages' reporters; returns its .reports. */
function runSuite(name: string, files: Record<string, string>, extraArgs: string[] = [], graceMs = 500) {
  const root = join(dir, name);
  mkdirSync(join(root, 'test'), { recursive: true });
  mkdirSync(join(root, '.reports'));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(root, 'test', f), text);
  const r = spawnSync(
    process.execPath,
    [
      `--import=${scripts}test-exit-guard.mjs`,
      '--test',
      ...extraArgs,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=junit',
      '--test-reporter-destination=.reports/junit.xml',
      `--test-reporter=${scripts}test-integrity-reporter.mjs`,
      '--test-reporter-destination=.reports/integrity.json',
      'test/*.test.mjs',
    ],
    { cwd: root, encoding: 'utf8', env: { ...fixtureEnv, KSO_TEST_EXIT_GRACE_MS: String(graceMs) } },
  );
  return { root, reports: join(root, '.reports'), output: r.stdout + r.stderr, status: r.status };
}

// The fixtures' runner must not take itself for a file of this test's runner (NODE_TEST_CONTEXT set).
const { NODE_TEST_CONTEXT: _, ...fixtureEnv } = process.env;

const many = (n: number) =>
  `import { test } from 'node:test';\nfor (let i = 0; i < ${n}; i++) test('t' + i, () => {});\n`;

test('a file that leaves a server listening fails, naming the open handle, and keeps every verdict', () => {
  const leak = `import { test } from 'node:test';\nimport { createServer } from 'node:net';\n${many(20).split('\n')[1]}\ntest('starts a server and forgets it', async () => {\n  await new Promise((r) => createServer().listen(0, '127.0.0.1', r));\n});\n`;
  const r = runSuite('leak', { 'leak.test.mjs': leak, 'clean.test.mjs': many(30) });
  assert.notEqual(r.status, 0, r.output);
  assert.match(
    r.output,
    /\[exit-guard\] .*leak\.test\.mjs: still running 500 ms after its last test; open handles: .*TCPServerWrap/,
  );
  const counts = countJunit(r.reports);
  assert.ok(typeof counts !== 'string', String(counts));
  // 21 tests of the leaking file + 30 clean ones passed; the leaking file itself is the one failure.
  assert.deepEqual(counts, { passed: 51, failed: 1, skipped: 0, testcases: 52 });
  assert.deepEqual(checkIntegrity(r.reports, counts.testcases, r.root), []);
});

test('verdicts a file ran but the runner never received are reported, not summed', () => {
  // --test-force-exit is what the packages dropped: it loses the tail of a file's verdicts at random. The
  // check must flag every run in which fewer than the 3000 tests that ran reached the report.
  // (It can also cut the runner's own junit file short.) Either way the summary must not sum a short count.
  for (let run = 0; run < 3; run++) {
    const r = runSuite(`force-exit-${run}`, { 'a.test.mjs': many(3000) }, ['--test-force-exit'], 120_000);
    const counts = countJunit(r.reports);
    if (typeof counts === 'string') {
      assert.match(counts, /cut short/);
      continue;
    }
    const problems = checkIntegrity(r.reports, counts.testcases, r.root);
    const lost = 'test/a.test.mjs: passed but its process never sent its summary (verdicts lost in transit)';
    // With every verdict through, the force exit can still drop the file's closing summary: the check cannot
    // tell that from lost verdicts and flags it, which is the safe side. Nothing else may be reported.
    if (counts.passed === 3000)
      assert.ok(
        problems.every((p) => p === lost),
        problems.join('\n'),
      );
    else assert.match(problems.join('\n'), /test\/a\.test\.mjs: passed but its process never sent its summary/);
  }
});

test('a missing, cut-short or disagreeing report is refused', () => {
  const r = runSuite('clean', { 'a.test.mjs': many(5), 'b.test.mjs': many(7) });
  assert.equal(r.status, 0, r.output);
  const counts = countJunit(r.reports);
  assert.deepEqual(counts, { passed: 12, failed: 0, skipped: 0, testcases: 12 });
  assert.deepEqual(checkIntegrity(r.reports, 12, r.root), []);
  assert.match(
    checkIntegrity(r.reports, 11, r.root).join('\n'),
    /junit\.xml holds 11 testcases, the runner received 12/,
  );

  const junit = readFileSync(join(r.reports, 'junit.xml'), 'utf8');
  writeFileSync(join(r.reports, 'junit.xml'), junit.slice(0, junit.lastIndexOf('<testcase')));
  assert.match(String(countJunit(r.reports)), /cut short/);
  rmSync(join(r.reports, 'junit.xml'));
  assert.match(String(countJunit(r.reports)), /no \.reports\/junit\.xml/);

  const integrity = JSON.parse(readFileSync(join(r.reports, 'integrity.json'), 'utf8'));
  integrity.files[0].tests -= 1;
  writeFileSync(join(r.reports, 'integrity.json'), JSON.stringify(integrity));
  assert.match(
    checkIntegrity(r.reports, 12, r.root).join('\n'),
    /its process ran \d+ tests, \d+ verdicts reached the runner/,
  );
  writeFileSync(join(r.reports, 'integrity.json'), JSON.stringify(integrity).slice(0, 40));
  assert.match(checkIntegrity(r.reports, 12, r.root).join('\n'), /integrity\.json is cut short/);
});

test("testcases whose attributes hold '>' are counted (the junit reporter leaves it unescaped)", () => {
  const r = runSuite('gt', {
    'gt.test.mjs': `import { describe, test } from 'node:test';\ndescribe('flags > env > file', () => { test('a -> b', () => {}); test('c', () => {}); });\n`,
  });
  assert.deepEqual(countJunit(r.reports), { passed: 2, failed: 0, skipped: 0, testcases: 2 });
});
