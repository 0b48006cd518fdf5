import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingPeerMessage, peerBinary } from './paths.ts';
import { spawnPeer } from './process.ts';

export interface RealCollector {
  /** Temp dir owned by this collector (config lives here; handy for fileexporter output). Deleted by stop(). */
  dir: string;
  /** The collector process, for resource usage (/proc/<pid>) in benchmarks. */
  pid: number;
  /** Last lines of the collector's log (debugexporter writes here), for assertions and failure messages. */
  output(): string;
  /** Resolves when the log matches `pattern` (e.g. a metric name printed by debugexporter). */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

export interface StartCollectorOptions {
  timeoutMs?: number;
  /**
   * The collector's own metrics listen on 127.0.0.1:8888 by default, so two collectors (or parallel test files)
   * collide. By default an override sets `service.telemetry.metrics.level: none`; pass false to keep the
   * config's own telemetry section.
   */
  quietTelemetry?: boolean;
  /** Environment of the collector process (default: this process's), e.g. KUBECONFIG for k8s_cluster. */
  env?: NodeJS.ProcessEnv;
}

export interface OtlpToFileOptions {
  /** OTLP/gRPC receiver port on 127.0.0.1 (at least one of grpcPort, httpPort). */
  grpcPort?: number;
  /** OTLP/HTTP receiver port on 127.0.0.1. */
  httpPort?: number;
  /** File name inside the collector's dir the file exporter writes (one JSON ExportRequest per line). */
  file: string;
  /** The file exporter's flush_interval (e.g. '100ms'); its default (1 s) when unset. */
  flushInterval?: string;
}

/**
 * The complete lines the file exporter has written to `path` so far (none while it does not exist). The
 * exporter appends while a test reads, so a line without its newline yet is left out: counted, it passed for
 * a request and failed a match on the part not yet written.
 */
export async function fileExporterLines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l.trim() !== '');
}

/**
 * The Collector config most tests want: OTLP in on 127.0.0.1, every metric written to `{{DIR}}/<file>`, so a
 * test reads exactly what a real Collector received (the file is at `join(collector.dir, file)`).
 */
export function otlpToFileConfig(o: OtlpToFileOptions): string {
  const protocols = [
    ...(o.grpcPort !== undefined ? [`      grpc:\n        endpoint: 127.0.0.1:${o.grpcPort}`] : []),
    ...(o.httpPort !== undefined ? [`      http:\n        endpoint: 127.0.0.1:${o.httpPort}`] : []),
  ];
  if (protocols.length === 0) throw new Error('otlpToFileConfig: needs grpcPort or httpPort');
  return `
receivers:
  otlp:
    protocols:
${protocols.join('\n')}
exporters:
  file:
    path: {{DIR}}/${o.file}
${o.flushInterval ? `    flush_interval: ${o.flushInterval}\n` : ''}service:
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [file]
`;
}

/**
 * Starts `otelcol-kso` with the given YAML config (bind receivers/exporters to 127.0.0.1 and pick ports in the
 * test). `{{DIR}}` in the config is replaced by the collector's temp dir, e.g. for fileexporter paths.
 * Ready when the collector logs "Everything is ready", i.e. all receivers are listening.
 */
export async function startCollector(configYaml: string, opts: StartCollectorOptions = {}): Promise<RealCollector> {
  const bin = peerBinary('otelcol-kso');
  if (!bin) throw new Error(missingPeerMessage('otelcol-kso'));
  const dir = await mkdtemp(join(tmpdir(), 'kso-otelcol-'));
  const configPath = join(dir, 'config.yaml');
  await writeFile(configPath, configYaml.replaceAll('{{DIR}}', dir));
  const args = [`--config=file:${configPath}`];
  if (opts.quietTelemetry ?? true) {
    // Several --config sources are merged in order; a second file is the only override that needs no
    // extra confmap provider (the manifest ships file and env only).
    const override = join(dir, 'quiet-telemetry.yaml');
    await writeFile(override, 'service:\n  telemetry:\n    metrics:\n      level: none\n');
    args.push(`--config=file:${override}`);
  }
  const proc = spawnPeer('otelcol-kso', bin, args, { cwd: dir, ...(opts.env ? { env: opts.env } : {}) });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await proc.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await proc.waitForOutput(/Everything is ready/, opts.timeoutMs ?? 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { dir, pid: proc.child.pid as number, output: proc.output, waitForOutput: proc.waitForOutput, stop };
}
