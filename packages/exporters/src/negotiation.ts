// HTTP content negotiation for /metrics: which exposition format and whether to gzip, from the request headers.
import type { ExpositionFormat } from './prom-text.ts';

/** Picks OpenMetrics when the Accept header asks for it with a q at least that of text/plain. */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  if (!accept) return 'text';
  let om = -1;
  let text = -1;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().split(';');
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split('=');
      if (k === 'q' && v !== undefined) q = Number(v);
    }
    const t = (type ?? '').trim().toLowerCase();
    if (t === 'application/openmetrics-text') om = Math.max(om, q);
    else if (t === 'text/plain' || t === '*/*') text = Math.max(text, q);
  }
  return om > 0 && om >= text ? 'openmetrics' : 'text';
}

export function acceptsGzip(h: string | undefined): boolean {
  if (!h) return false;
  return h.split(',').some((p) => {
    const [enc, ...params] = p.trim().split(';');
    if (enc?.trim().toLowerCase() !== 'gzip') return false;
    const q = params.map((x) => x.trim()).find((x) => x.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}
