// Issue #14's house rules, checked on every run so they keep holding:
//  - no function over 60 lines in packages/*/src without a `// long: <reason>` next to it
//    (scripts/long-functions.ts lists them: `node scripts/long-functions.ts`);
//  - package boundaries (scripts/package-boundaries.ts): runtime dependencies exactly what production code
//    imports, no test harness exported from a main entry, no relative imports into another package.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { longFunctions, MAX_LINES } from '../../scripts/long-functions.ts';
import { boundaryProblems } from '../../scripts/package-boundaries.ts';

const ROOT = join(import.meta.dirname, '..', '..');

test(`every function over ${MAX_LINES} lines in packages/*/src has a // long: reason`, () => {
  const unexplained = longFunctions(ROOT)
    .filter((f) => f.reason === undefined)
    .map((f) => `${f.file}:${f.line} ${f.name} (${f.lines} lines)`);
  assert.deepEqual(unexplained, [], 'split these, or write `// long: <why>` directly above them');
});

test('the long-function finder sees methods, arrow functions and reasons', () => {
  const root = mkdtempSync(join(tmpdir(), 'kso-long-'));
  try {
    mkdirSync(join(root, 'packages', 'x', 'src'), { recursive: true });
    const body = (n: number) => Array.from({ length: n }, (_, i) => `    const v${i} = ${i};`).join('\n');
    writeFileSync(
      join(root, 'packages', 'x', 'src', 'a.ts'),
      [
        'export class Box {',
        '  send() {',
        body(MAX_LINES),
        '  }',
        '}',
        'export const arrow = () => {',
        body(MAX_LINES),
        '};',
        '// long: a table read top to bottom',
        'export function table() {',
        body(MAX_LINES),
        '}',
        'export function short() {',
        body(3),
        '}',
      ].join('\n'),
    );
    const found = longFunctions(root);
    assert.deepEqual(
      found.map((f) => [f.name, f.reason]),
      [
        ['Box.send', undefined],
        ['arrow', undefined],
        ['table', 'a table read top to bottom'],
      ],
    );
    assert.ok(found.every((f) => f.lines > MAX_LINES));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('package boundaries: runtime deps = production imports, no harness in a main entry, imports by name', () => {
  assert.deepEqual(
    boundaryProblems(ROOT).map((p) => `${p.package}: ${p.problem}`),
    [],
  );
});
