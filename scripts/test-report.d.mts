// Types of scripts/test-report.mjs for the tests that import it (test/test/test-report.test.ts).
export interface JunitCounts {
  passed: number;
  failed: number;
  skipped: number;
  testcases: number;
}
export function countJunit(reports: string): JunitCounts | string;
export function checkIntegrity(reports: string, junitTestcases: number, root: string): string[];
