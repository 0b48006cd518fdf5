// README material generated from the single config schema, so documentation cannot drift from the code.
import { flatten, formatDuration, type OptionInfo } from '@kso/config';
import { SIDECAR_SPEC } from '@kso/sidecar';
import { options } from './config.ts';
import { SELF_METRICS } from './self-metrics.ts';

const DURATION_FORMAT = /interval|timeout|staleness|deadline|wait|retry/i;

const fmtDefault = (v: unknown, key: string): string => {
  if (Array.isArray(v)) return v.length ? `\`${v.join(',')}\`` : key === 'namespaces' ? '(all)' : '';
  if (v === '') return '';
  if (typeof v === 'number' && DURATION_FORMAT.test(key)) return `\`${formatDuration(v)}\``;
  return `\`${String(v)}\``;
};

const code = (xs: readonly string[]) => xs.map((x) => `\`${x}\``).join(', ');

function table(opts: readonly OptionInfo[]): string {
  const rows = ['| Key (config file) | Flag | Environment | Default | Description |', '|---|---|---|---|---|'];
  for (const o of opts) {
    const flags = code([o.flag, ...o.aliases, ...(o.repeatable ? [o.repeatable] : [])]);
    const old = [...o.deprecatedFlags, ...o.deprecatedEnv];
    const envs = code([o.env, ...(o.otelEnv ? o.otelEnv.split(' / ') : [])]);
    const doc = `${o.doc}${old.length ? ` (deprecated: ${old.join(', ')})` : ''}`;
    rows.push(`| \`${o.key}\` | ${flags} | ${envs} | ${fmtDefault(o.default, o.key)} | ${doc.replace(/\|/g, '\\|')} |`);
  }
  return rows.join('\n');
}

export function renderConfigTable(): string {
  return table(options());
}

export function renderSidecarConfigTable(): string {
  return table(flatten(SIDECAR_SPEC.schema));
}

export function renderSelfMetricsTable(): string {
  const rows = ['| Metric | Type | Meaning |', '|---|---|---|'];
  for (const { name, type, help } of SELF_METRICS)
    rows.push(`| \`${name}\` | ${type} | ${help.replace(/\|/g, '\\|')} |`);
  return rows.join('\n');
}

const BLOCKS = {
  config: renderConfigTable,
  'sidecar-config': renderSidecarConfigTable,
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
