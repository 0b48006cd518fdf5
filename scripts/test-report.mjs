// The checks scripts/test.mjs runs on each workspace's .reports before it sums them into the summary
// line: the line has to equal the tests that ran, so a report that is missing, cut short or holding fewer
// verdicts than the test files' own processes counted is reported, never summed as a smaller pass count.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Verdicts in a workspace's .reports/junit.xml, or why the report cannot be trusted. */
export function countJunit(reports) {
  const file = join(reports, 'junit.xml');
  if (!existsSync(file)) return 'no .reports/junit.xml (its test runner never started or crashed)';
  const xml = readFileSync(file, 'utf8');
  const declared = /<!-- tests (\d+) -->\s*(<!--[^>]*-->\s*)*<\/testsuites>\s*$/.exec(xml);
  if (!declared) return '.reports/junit.xml is cut short (no closing summary)';
  const counts = { passed: 0, failed: 0, skipped: 0, testcases: 0 };
  // Attribute values are skipped whole: node's junit reporter leaves '>' unescaped in them (legal XML), as in
  // classname="precedence: flags > KSO_* > ...", which a [^>]* scan took for the tag's end (and dropped).
  for (const m of xml.matchAll(/<testcase\b(?:"[^"]*"|[^>"])*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const body = m[2] ?? '';
    counts.testcases += 1;
    if (/<failure\b/.test(body) || /<error\b/.test(body)) counts.failed += 1;
    else if (/<skipped\b/.test(body)) counts.skipped += 1;
    else counts.passed += 1;
  }
  return counts;
}

/**
 * Compares, per test file, what the file's own process counted with what reached the runner
 * (written by scripts/test-integrity-reporter.mjs); returns the discrepancies, file names relative to root.
 */
export function checkIntegrity(reports, junitTestcases, root) {
  const file = join(reports, 'integrity.json');
  if (!existsSync(file)) return ['no .reports/integrity.json (is its test script missing the integrity reporter?)'];
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return ['.reports/integrity.json is cut short'];
  }
  const problems = [];
  let testcases = 0;
  for (const f of report.files) {
    testcases += f.testcases;
    const name = relative(root, f.file);
    if (f.summary === null && !f.fileFailed)
      problems.push(`${name}: passed but its process never sent its summary (verdicts lost in transit)`);
    else if (f.summary !== null && f.summary.tests !== f.tests)
      problems.push(`${name}: its process ran ${f.summary.tests} tests, ${f.tests} verdicts reached the runner`);
  }
  if (testcases !== junitTestcases)
    problems.push(`junit.xml holds ${junitTestcases} testcases, the runner received ${testcases}`);
  return problems;
}
