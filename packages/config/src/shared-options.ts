// Option blocks both commands declare identically, so `kso run` and `kso sidecar` cannot drift apart: the OTLP
// exporter settings and the process identity (Resource). Each entry names the OTEL_* variable readOtelEnv maps
// onto it.
import { readFileSync } from 'node:fs';
import { parseHeaders } from './key-values.ts';
import type { OptionSpec } from './load.ts';

export interface OtlpConfig {
  endpoint: string;
  protocol: 'grpc' | 'http';
  headers: string;
  insecure: boolean;
  ca: string;
  clientCert: string;
  clientKey: string;
  compression: 'gzip' | 'zstd' | 'none';
  timeout: number;
}

const M = (s: string) => `OTEL_EXPORTER_OTLP_METRICS_${s} / OTEL_EXPORTER_OTLP_${s}`;

/** The OTLP exporter block (`otlp.*`); the push interval stays per command (its meaning differs). */
// long: a declarative table, one entry per option
export function otlpOptions(): Record<keyof OtlpConfig, OptionSpec> {
  return {
    endpoint: {
      doc: 'OTLP endpoint (grpc: http(s)://host:4317, http: http(s)://host:4318[/v1/metrics]); empty disables push',
      format: 'endpoint-url',
      default: '',
      env: 'KSO_OTLP_ENDPOINT',
      arg: 'otlp-endpoint',
      otelEnv: M('ENDPOINT'),
    },
    protocol: {
      doc: 'OTLP transport: grpc or http (= http/protobuf); http/json is not supported',
      format: 'otlp-protocol',
      default: 'grpc',
      env: 'KSO_OTLP_PROTOCOL',
      arg: 'otlp-protocol',
      otelEnv: M('PROTOCOL'),
    },
    headers: {
      doc: 'Extra OTLP headers, k=v,k2=v2 with percent-encoded values (never logged)',
      format: 'headers',
      default: '',
      sensitive: true,
      env: 'KSO_OTLP_HEADERS',
      arg: 'otlp-headers',
      repeatable: 'otlp-header',
      otelEnv: M('HEADERS'),
    },
    insecure: {
      doc: 'No TLS verification: plaintext gRPC even for an https:// endpoint; HTTP accepts any server certificate',
      format: 'bool',
      default: false,
      env: 'KSO_OTLP_INSECURE',
      arg: 'otlp-insecure',
      otelEnv: M('INSECURE'),
    },
    ca: {
      doc: 'CA certificate (PEM) to verify the OTLP endpoint, both protocols',
      format: 'pem-file',
      default: '',
      env: 'KSO_OTLP_CA',
      arg: 'otlp-ca',
      otelEnv: M('CERTIFICATE'),
    },
    clientCert: {
      doc: 'Client certificate (PEM) for mTLS to the OTLP endpoint (with --otlp-client-key)',
      format: 'pem-file',
      default: '',
      env: 'KSO_OTLP_CLIENT_CERT',
      arg: 'otlp-client-cert',
      otelEnv: M('CLIENT_CERTIFICATE'),
    },
    clientKey: {
      doc: 'Client private key (PEM) for mTLS to the OTLP endpoint (with --otlp-client-cert)',
      format: 'pem-file',
      default: '',
      env: 'KSO_OTLP_CLIENT_KEY',
      arg: 'otlp-client-key',
      otelEnv: M('CLIENT_KEY'),
    },
    compression: {
      doc: 'OTLP compression: gzip, zstd or none',
      format: ['gzip', 'zstd', 'none'],
      default: 'gzip',
      env: 'KSO_OTLP_COMPRESSION',
      arg: 'otlp-compression',
      otelEnv: M('COMPRESSION'),
    },
    timeout: {
      doc: 'OTLP per-request timeout (OTEL_* variable: milliseconds)',
      format: 'duration-ms',
      default: 10_000,
      env: 'KSO_OTLP_TIMEOUT',
      arg: 'otlp-timeout',
      otelEnv: M('TIMEOUT'),
    },
  };
}

export interface IdentityOptions {
  resourceAttributes: OptionSpec;
  serviceName: OptionSpec;
  serviceInstanceId: OptionSpec;
  clusterName: OptionSpec;
}

/** The pushed Resource: see resolveIdentity. */
export function identityOptions(defaultServiceName: string): IdentityOptions {
  return {
    resourceAttributes: {
      doc: 'Resource attributes of pushed OTLP data, k=v,k2=v2 (percent-encoded values)',
      format: 'key-values',
      default: '',
      env: 'KSO_RESOURCE_ATTRIBUTES',
      arg: 'resource-attributes',
      otelEnv: 'OTEL_RESOURCE_ATTRIBUTES',
    },
    serviceName: {
      doc: `service.name of pushed OTLP data (default ${defaultServiceName}, or service.name in the resource attributes)`,
      format: String,
      default: '',
      env: 'KSO_SERVICE_NAME',
      arg: 'service-name',
      otelEnv: 'OTEL_SERVICE_NAME',
    },
    serviceInstanceId: {
      doc: 'service.instance.id (default: <pod namespace>.<pod name> when known, else the host name)',
      format: String,
      default: '',
      env: 'KSO_SERVICE_INSTANCE_ID',
      arg: 'service-instance-id',
    },
    clusterName: {
      doc: 'k8s.cluster.name on every pushed Resource (or set it in the resource attributes)',
      format: String,
      default: '',
      env: 'KSO_CLUSTER_NAME',
      arg: 'cluster-name',
    },
  };
}

export interface TlsFiles {
  insecure: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/**
 * The createOtlpPush `tls` option from validated paths (the config layer already proved them readable);
 * undefined when nothing is set, so the endpoint's scheme alone decides plaintext or TLS with system CAs.
 */
export function otlpTls(o: Pick<OtlpConfig, 'insecure' | 'ca' | 'clientCert' | 'clientKey'>): TlsFiles | undefined {
  if (!o.insecure && !o.ca && !o.clientCert && !o.clientKey) return undefined;
  return {
    insecure: o.insecure,
    ...(o.ca ? { ca: readFileSync(o.ca) } : {}),
    ...(o.clientCert ? { cert: readFileSync(o.clientCert) } : {}),
    ...(o.clientKey ? { key: readFileSync(o.clientKey) } : {}),
  };
}

/** Cross-field OTLP checks, one line each. */
export function otlpProblems(o: OtlpConfig): string[] {
  const out: string[] = [];
  if ((o.clientCert === '') !== (o.clientKey === ''))
    out.push('otlp.clientCert / otlp.clientKey (--otlp-client-cert, --otlp-client-key): mTLS needs both, or neither');
  if (o.protocol === 'grpc') {
    const headers = parseHeaders(o.headers) ?? {};
    const names = Object.keys(headers).filter((k) => H2_FORBIDDEN.has(k) || (k === 'te' && headers[k] !== 'trailers'));
    if (names.length > 0)
      out.push(
        `otlp.headers (--otlp-headers, OTEL_EXPORTER_OTLP_HEADERS): ${names.join(', ')}: connection-specific, HTTP/2 (gRPC) forbids it`,
      );
  }
  return out;
}

/** RFC 9113 §8.2.2: an HTTP/2 request carrying one of these is malformed; Node refuses to send it. */
const H2_FORBIDDEN = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);
