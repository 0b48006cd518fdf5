// `kso render`: Kubernetes objects from files/stdin → metrics offline, same generators and serializers as
// `kso run`. One bad document never hides the others: it is reported with its file and index and the exit
// code says so after everything else was rendered.
import { readFileSync } from 'node:fs';
import { bodyToBuffer, renderExposition, StoreMetricProducer, StoreRenderer } from '@kso/exporters';
import { MetricsStore, type ResourceName, type Schema } from '@kso/metrics';
import { JsonMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { parseAllDocuments } from 'yaml';
import { UsageError } from './usage.ts';

const KIND_TO_RESOURCE: Readonly<Record<string, ResourceName>> = { Pod: 'pods', Job: 'jobs', CronJob: 'cronjobs' };

export const RENDER_USAGE = `Usage: kso render [--schema ksm|semconv] [--format prometheus|otlp-json] [--number-format go|js] FILE... | -

Renders the metrics of Pod, Job and CronJob objects (JSON or YAML; single objects, Lists or multi-document
YAML; "-" reads stdin) to stdout. Objects without metadata.uid (manifests) get a placeholder uid.
Exit code: 0 ok, 1 some document was malformed (the rest is still rendered), 2 usage error.`;

export interface RenderOptions {
  schema: Schema;
  format: 'prometheus' | 'otlp-json';
  numberFormat: 'go' | 'js';
  inputs: string[];
}

export function parseRenderArgs(argv: readonly string[]): RenderOptions {
  let schema: RenderOptions['schema'] = 'ksm';
  let format: RenderOptions['format'] = 'prometheus';
  let numberFormat: RenderOptions['numberFormat'] | undefined;
  const inputs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq !== -1 ? a.slice(0, eq) : a;
    const value = () => {
      const v = a.startsWith('--') && eq !== -1 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`option ${name} needs a value`);
      return v;
    };
    if (name === '--schema') {
      const v = value();
      if (v !== 'ksm' && v !== 'semconv') throw new UsageError(`--schema must be ksm or semconv, got ${v}`);
      schema = v;
    } else if (name === '--format') {
      const v = value();
      if (v !== 'prometheus' && v !== 'otlp-json')
        throw new UsageError(`--format must be prometheus or otlp-json, got ${v}`);
      format = v;
    } else if (name === '--number-format') {
      const v = value();
      if (v !== 'go' && v !== 'js') throw new UsageError(`--number-format must be go or js, got ${v}`);
      numberFormat = v;
    } else if (a === '-' || !a.startsWith('-')) inputs.push(a);
    else throw new UsageError(`unknown option ${name} for kso render`);
  }
  if (inputs.length === 0) throw new UsageError('kso render needs at least one FILE (or - for stdin)');
  // ksm output should match kube-state-metrics byte for byte, which prints Go floats.
  return { schema, format, numberFormat: numberFormat ?? (schema === 'ksm' ? 'go' : 'js'), inputs };
}

interface Diagnostics {
  warn(msg: string): void;
  error(msg: string): void;
}

/** Flattens one parsed document into objects: Lists expand to their items (kind inferred from `FooList`). */
function objectsOf(doc: unknown): Record<string, unknown>[] {
  if (doc === null || doc === undefined) return [];
  if (typeof doc !== 'object' || Array.isArray(doc)) return [doc as Record<string, unknown>];
  const o = doc as Record<string, unknown>;
  const kind = typeof o.kind === 'string' ? o.kind : '';
  if (Array.isArray(o.items) && (kind === 'List' || kind.endsWith('List'))) {
    const itemKind = kind.endsWith('List') && kind !== 'List' ? kind.slice(0, -4) : undefined;
    return o.items.map((it) =>
      itemKind && it && typeof it === 'object' && !('kind' in it) ? { kind: itemKind, ...it } : it,
    ) as Record<string, unknown>[];
  }
  return [o];
}

/** Adds every object of one input text to the store; returns the number of malformed documents. */
export function loadDocuments(store: MetricsStore, text: string, source: string, diag: Diagnostics): number {
  let bad = 0;
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, di) => {
    const where = `${source}: document ${di}`;
    if (doc.errors.length > 0) {
      bad++;
      diag.error(`${where}: invalid YAML/JSON: ${doc.errors[0]!.message.split('\n')[0]}`);
      return;
    }
    const objs = objectsOf(doc.toJS());
    objs.forEach((obj, oi) => {
      const at = objs.length > 1 ? `${where}, item ${oi}` : where;
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
        bad++;
        diag.error(`${at}: not a Kubernetes object`);
        return;
      }
      const kind = typeof obj.kind === 'string' ? obj.kind : '';
      const resource = KIND_TO_RESOURCE[kind];
      if (!resource) {
        diag.warn(`${at}: skipping unsupported kind ${JSON.stringify(kind || '(none)')}`);
        return;
      }
      const meta = obj.metadata;
      let raw: unknown = obj;
      if (meta && typeof meta === 'object' && !(meta as Record<string, unknown>).uid) {
        const m = meta as Record<string, unknown>;
        // Manifests have no uid yet; metrics need one (pod families expose it as a label).
        raw = { ...obj, metadata: { ...m, uid: `render-${String(m.namespace ?? '')}-${String(m.name ?? oi)}` } };
      }
      try {
        store.upsertObject(resource, raw);
      } catch (err) {
        bad++;
        diag.error(`${at}: ${kind}: ${(err as Error).message}`);
      }
    });
  });
  return bad;
}

export async function renderToString(opts: RenderOptions, readInput: (name: string) => string, diag: Diagnostics) {
  const store = new MetricsStore({ schema: opts.schema });
  let bad = 0;
  for (const input of opts.inputs) {
    const source = input === '-' ? '<stdin>' : input;
    let text: string;
    try {
      text = readInput(input);
    } catch (err) {
      bad++;
      diag.error(`${source}: cannot read: ${(err as Error).message}`);
      continue;
    }
    bad += loadDocuments(store, text, source, diag);
  }
  let out: string;
  if (opts.format === 'prometheus') {
    const renderer = new StoreRenderer({ numberFormat: opts.numberFormat });
    const body = await renderExposition(renderer, store, 'text', { numberFormat: opts.numberFormat });
    out = bodyToBuffer(body).toString('utf8');
  } else {
    const producer = new StoreMetricProducer({ source: store, emptyFamilies: false });
    const { resourceMetrics } = await producer.collect();
    const bytes = JsonMetricsSerializer.serializeRequest(resourceMetrics);
    out = `${Buffer.from(bytes ?? new Uint8Array()).toString('utf8')}\n`;
  }
  return { out, bad };
}

export async function runRender(argv: readonly string[]): Promise<number> {
  const opts = parseRenderArgs(argv);
  const diag: Diagnostics = {
    warn: (m) => process.stderr.write(`kso render: warning: ${m}\n`),
    error: (m) => process.stderr.write(`kso render: error: ${m}\n`),
  };
  const { out, bad } = await renderToString(opts, (n) => readFileSync(n === '-' ? 0 : n, 'utf8'), diag);
  await new Promise<void>((resolve) => process.stdout.write(out, () => resolve()));
  return bad > 0 ? 1 : 0;
}
