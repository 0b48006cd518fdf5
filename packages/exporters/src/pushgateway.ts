// Prometheus Pushgateway sink (sidecar / short-lived job mode). Grouping-key values containing `/` or empty
// use the `@base64` label-name suffix with URL-safe base64, as the Pushgateway API requires.
import { type HttpResponse, httpRequest } from './http-request.ts';

export interface PushgatewayTarget {
  /** Base URL, e.g. http://pushgateway:9091 */
  url: string;
  job: string;
  groupingKey?: Record<string, string>;
  /** Extra request headers (e.g. Authorization). */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

function segment(name: string, value: string): string {
  if (value === '' || value.includes('/')) {
    // Empty values need '=' padding-free base64 of '' which is '' → the API spells it as a single '='.
    const b64 = value === '' ? '=' : Buffer.from(value, 'utf8').toString('base64url');
    return `${encodeURIComponent(name)}@base64/${b64}`;
  }
  return `${encodeURIComponent(name)}/${encodeURIComponent(value)}`;
}

/** The group's URL: /metrics/job/<job>{/<label>/<value>} with base64 where needed. */
export function pushgatewayGroupUrl(t: PushgatewayTarget): string {
  const parts = [segment('job', t.job)];
  for (const [k, v] of Object.entries(t.groupingKey ?? {})) parts.push(segment(k, v));
  return `${t.url.replace(/\/$/, '')}/metrics/${parts.join('/')}`;
}

async function call(t: PushgatewayTarget, method: string, body?: string): Promise<number> {
  const url = pushgatewayGroupUrl(t);
  let res: HttpResponse;
  try {
    res = await httpRequest(url, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' } : {}),
        ...t.headers,
      },
      ...(body !== undefined ? { body } : {}),
      timeoutMs: t.timeoutMs ?? 10_000,
    });
  } catch (err) {
    throw new Error(`pushgateway ${method} ${url} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (res.status < 200 || res.status >= 300) {
    const text = res.body.toString('utf8').slice(0, 500).trim();
    throw new Error(`pushgateway ${method} ${url} answered ${res.status}${text ? `: ${text}` : ''}`);
  }
  return res.status;
}

/** PUT replaces the whole group, POST only same-named metrics. Body: text format 0.0.4 without timestamps. */
export function pushToPushgateway(t: PushgatewayTarget & { body: string; method?: 'PUT' | 'POST' }): Promise<number> {
  return call(t, t.method ?? 'PUT', t.body);
}

export function deletePushgatewayGroup(t: PushgatewayTarget): Promise<number> {
  return call(t, 'DELETE');
}
