// Streaming /metrics readers: count series or find one sample without decoding a multi-hundred-MB body, so the
// client's own cost stays small next to the server's (client and server share this 2-core host).
import { Agent, get } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: 2 });
const NL = 0x0a;
const HASH = 0x23;

export interface ScanResult {
  startMs: number;
  endMs: number;
  bytes: number;
  /** Non-comment lines (only when counted). */
  series: number;
  /** Lines containing the needle that the matcher accepted. */
  matches: number;
}

/**
 * GETs `url` (uncompressed) and feeds every complete line containing `needle` to `match`; lines are decoded only
 * around needle hits. `countSeries` adds a pass counting lines (for sync checks, not for latency probes).
 */
export function scanMetrics(
  url: string,
  needle: string,
  match: (line: string) => boolean,
  countSeries = false,
): Promise<ScanResult> {
  const startMs = performance.now();
  const pattern = Buffer.from(needle);
  return new Promise((resolve, reject) => {
    const req = get(url, { agent, headers: { 'accept-encoding': 'identity' }, timeout: 300_000 }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`GET ${url}: HTTP ${res.statusCode}`));
        return;
      }
      let carry: Buffer = Buffer.alloc(0);
      let bytes = 0;
      let series = 0;
      let matches = 0;
      // `buf` always holds whole lines (ends with '\n').
      const scan = (buf: Buffer) => {
        if (countSeries) {
          for (let i = 0; i < buf.length; ) {
            const end = buf.indexOf(NL, i);
            if (buf[i] !== HASH && end > i) series++;
            i = end === -1 ? buf.length : end + 1;
          }
        }
        for (let i = buf.indexOf(pattern); i !== -1; i = buf.indexOf(pattern, i + pattern.length)) {
          const from = buf.lastIndexOf(NL, i) + 1;
          const to = buf.indexOf(NL, i);
          if (match(buf.toString('utf8', from, to === -1 ? buf.length : to))) matches++;
        }
      };
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        const cut = chunk.lastIndexOf(NL);
        if (cut === -1) {
          carry = Buffer.concat([carry, chunk]);
          return;
        }
        scan(carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, cut + 1)]) : chunk.subarray(0, cut + 1));
        carry = Buffer.from(chunk.subarray(cut + 1));
      });
      res.on('end', () => {
        if (carry.length > 0) scan(Buffer.concat([carry, Buffer.from('\n')]));
        resolve({ startMs, endMs: performance.now(), bytes, series, matches });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

export interface ObjectCounts extends ScanResult {
  pods: number;
  jobs: number;
  cronjobs: number;
}

/** One `kube_<kind>_info` series per object, in kube-state-metrics and in kso's ksm schema alike. */
export async function countObjects(url: string): Promise<ObjectCounts> {
  const c = { pods: 0, jobs: 0, cronjobs: 0 };
  const r = await scanMetrics(
    url,
    '_info{',
    (l) => {
      if (l.startsWith('kube_pod_info{')) c.pods++;
      else if (l.startsWith('kube_job_info{')) c.jobs++;
      else if (l.startsWith('kube_cronjob_info{')) c.cronjobs++;
      else return false;
      return true;
    },
    true,
  );
  return { ...r, ...c };
}

export async function getStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = get(url, { agent, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

export function closeScanAgent(): void {
  agent.destroy();
}
