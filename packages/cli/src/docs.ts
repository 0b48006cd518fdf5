// README material generated from the single config schema, so documentation cannot drift from the code.
import { options } from './config.ts';
import { SELF_METRICS } from './self-metrics.ts';

const fmtDefault = (v: unknown, key: string): string => {
  if (Array.isArray(v)) return v.length ? `\`${v.join(',')}\`` : '(all)';
  if (v === '') return '';
  if (typeof v === 'number' && /interval|timeout|staleness/i.test(key)) return `\`${v / 1000}s\``;
  return `\`${String(v)}\``;
};

export function renderConfigTable(): string {
  const rows = ['| Key (config file) | Flag | Environment | Default | Description |', '|---|---|---|---|---|'];
  for (const o of options())
    rows.push(
      `| \`${o.key}\` | \`${o.flag}\` | \`${o.env}\` | ${fmtDefault(o.default, o.key)} | ${o.doc.replace(/\|/g, '\\|')} |`,
    );
  return rows.join('\n');
}

export function renderSelfMetricsTable(): string {
  const rows = ['| Metric | Type | Meaning |', '|---|---|---|'];
  for (const [name, type, help] of SELF_METRICS) rows.push(`| \`${name}\` | ${type} | ${help.replace(/\|/g, '\\|')} |`);
  return rows.join('\n');
}

const BLOCKS = {
  config: renderConfigTable,
  'self-metrics': renderSelfMetricsTable,
} as const;

/** Table text with cell padding and separator widths removed: biome re-aligns Markdown tables. */
export function normalizeTables(text: string): string {
  return text
    .split('\n')
    .map((l) => (l.startsWith('|') ? l.replace(/\s*(?<!\\)\|\s*/g, '|').replace(/-{3,}/g, '---') : l))
    .join('\n');
}

/** Replaces every `<!-- generated:NAME -->...<!-- /generated:NAME -->` block with fresh content. */
export function updateGenerated(text: string): string {
  let out = text;
  for (const [name, render] of Object.entries(BLOCKS)) {
    const re = new RegExp(`(<!-- generated:${name} -->\\n)[\\s\\S]*?(<!-- /generated:${name} -->)`);
    out = out.replace(re, (_m, a: string, b: string) => `${a}${render()}\n${b}`);
  }
  return out;
}
