// A node:test reporter (third `--test-reporter` of every package's `test` script) that writes
// .reports/integrity.json: per test file, what the file's own child process counted (its
// `test:summary` event, the last thing the child sends) next to what reached the runner. scripts/test.mjs
// refuses a run where they differ or where a file that passed never sent its summary: that is the
// signature of results lost between child and runner (see scripts/test-exit-guard.mjs).
import { resolve } from 'node:path';

export default async function* integrity(source) {
  const files = new Map();
  const entry = (file) => {
    let e = files.get(file);
    if (!e) {
      // childrenAt[k] counts the test events at nesting k since the last event at nesting k-1: events
      // arrive children first, so a test with any is a junit <testsuite>, one with none a <testcase>.
      e = { file, summary: null, tests: 0, testcases: 0, fileFailed: false, childrenAt: [] };
      files.set(file, e);
    }
    return e;
  };
  for await (const { type, data } of source) {
    // entryFile is the test file whose process ran the test; file is where test() was called (a helper).
    const file = data.entryFile ?? data.file;
    if (type === 'test:summary' && file) entry(file).summary = data.counts;
    if ((type !== 'test:pass' && type !== 'test:fail') || !file) continue;
    const e = entry(file);
    const k = data.nesting;
    const hasChildren = (e.childrenAt[k + 1] ?? 0) > 0;
    e.childrenAt[k + 1] = 0;
    e.childrenAt[k] = (e.childrenAt[k] ?? 0) + 1;
    // The runner's own verdict on a file (crash, non-zero exit, timeout) is named after the file.
    if (k === 0 && resolve(data.name) === file) {
      e.fileFailed ||= type === 'test:fail';
      e.testcases += 1;
      continue;
    }
    if (data.details?.type !== 'suite') e.tests += 1;
    if (data.details?.type !== 'suite' && !hasChildren) e.testcases += 1;
  }
  const report = [...files.values()].map(({ childrenAt, ...e }) => e);
  yield `${JSON.stringify({ complete: true, files: report }, null, 1)}\n`;
}
