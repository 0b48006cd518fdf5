// Regenerates packages/metrics/test/fixtures/go-cron-v0.15.1.json: seeded schedules (cron-schedules.ts) and
// DST-edge cases with the results of KSM v2.20's cron library itself (go-cron-oracle/, built with the Go toolchain
// of test/peers/build.sh), so packages/metrics can hold its cron port to go-cron without peers.
// Usage: node test/peers/gen-go-cron-fixture.ts   (needs `go`; downloads github.com/netresearch/go-cron v0.15.1)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSchedules } from './cron-schedules.ts';

const TZ = 'America/New_York';
const oracleDir = fileURLToPath(new URL('./go-cron-oracle/', import.meta.url));
const out = fileURLToPath(new URL('../../packages/metrics/test/fixtures/go-cron-v0.15.1.json', import.meta.url));

const cases: { spec: string; from: number }[] = generateSchedules(2000, 7).map((g) => ({
  spec: g.timeZone === undefined ? g.schedule : `CRON_TZ=${g.timeZone} ${g.schedule}`,
  from: g.from,
}));
// Around DST changes (2018 Sao Paulo midnight gap, 2026 US/EU), where Go's time.Date and the ISC-cron rule matter.
const specs = ['0 0 * * *', '30 0 * * *', '0 * * * *', '*/15 0-2 * * *', '30 2 * * *', '0 2,3 * * *', '59 1 * * *'];
const zones = ['America/Sao_Paulo', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Local'];
const starts = ['2018-11-03T12:00:00Z', '2026-03-08T04:00:00Z', '2026-03-29T00:00:00Z', '2026-11-01T04:00:00Z'];
for (const s of specs)
  for (const z of zones)
    for (const start of starts)
      for (let h = 0; h < 8; h += 3)
        cases.push({ spec: `CRON_TZ=${z} ${s}`, from: Date.parse(start) / 1000 + h * 3600 });

const dir = mkdtempSync(join(tmpdir(), 'go-cron-oracle-'));
try {
  const bin = join(dir, 'oracle');
  execFileSync('go', ['build', '-o', bin, '.'], { cwd: oracleDir, stdio: 'inherit' });
  const res = execFileSync(bin, {
    input: `${cases.map((c) => JSON.stringify(c)).join('\n')}\n`,
    env: { ...process.env, TZ },
    maxBuffer: 1 << 26,
  }).toString();
  const results = res.trim().split('\n');
  if (results.length !== cases.length) throw new Error(`oracle answered ${results.length} of ${cases.length}`);
  const rows = cases.map((c, i) => [c.spec, c.from, results[i] === 'invalid' ? null : Number(results[i])]);
  writeFileSync(out, `{"tz":${JSON.stringify(TZ)},"cases":[\n${rows.map((r) => JSON.stringify(r)).join(',\n')}\n]}\n`);
  console.log(`${rows.length} cases written to ${out}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
