// Escaping of the text formats, in a module of its own (no SDK import) so the light prom-parse reader and
// writer can share it with the full serializers.

export function escapeHelp(s: string, openMetrics = false): string {
  const r = s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return openMetrics ? r.replace(/"/g, '\\"') : r;
}

const needsEscape = /[\\\n"]/;
export function escapeLabelValue(v: unknown): string {
  const s = typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v);
  if (!needsEscape.test(s)) return s;
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}
