// convict formats shared by every command. Coercers keep the raw value when it cannot be converted, so
// validate() reports it with the user's input; messages never echo values of sensitive options.
import { readFileSync, statSync } from 'node:fs';
import convict from 'convict';
import { parseDurationText } from './duration.ts';
import { HEADER_LIST, parseKeyValues } from './key-values.ts';
import { otlpProtocol } from './otel-env.ts';

export const toList = (v: unknown): unknown => {
  if (typeof v === 'string')
    return v
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
  return v;
};

const int = (v: unknown) => (typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v);

let added = false;
// long: a list of independent convict.addFormat calls, one per value grammar
export function addFormats(): void {
  if (added) return;
  added = true;
  convict.addFormat({
    name: 'string-list',
    coerce: toList,
    validate(v: unknown) {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === ''))
        throw new Error('must be a comma-separated list of names');
    },
  });
  convict.addFormat({
    name: 'regex-list',
    coerce: toList,
    validate(v: unknown) {
      if (!Array.isArray(v)) throw new Error('must be a comma-separated list of regular expressions');
      for (const x of v) {
        try {
          new RegExp(String(x));
        } catch (err) {
          throw new Error(`invalid regular expression ${JSON.stringify(x)}: ${(err as Error).message}`);
        }
      }
    },
  });
  convict.addFormat({
    name: 'duration-ms',
    coerce: (v: unknown) => {
      const r = parseDurationText(v);
      return 'ms' in r ? r.ms : v;
    },
    validate(v: unknown) {
      if (typeof v === 'number' && Number.isFinite(v) && v > 0) return;
      const r = parseDurationText(v);
      throw new Error('error' in r ? r.error : 'must be a positive duration like 500ms, 10s, 1m or 1h');
    },
  });
  convict.addFormat({
    name: 'tcp-port',
    coerce: int,
    validate(v: unknown) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535)
        throw new Error('must be a port number 0-65535 (0 = any free port)');
    },
  });
  convict.addFormat({
    name: 'optional-port',
    coerce: int,
    validate(v: unknown) {
      if (v === '') return;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535)
        throw new Error('must be a port number 0-65535 (0 = any free port), or empty for none');
    },
  });
  convict.addFormat({
    name: 'non-negative-int',
    coerce: int,
    validate(v: unknown) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error('must be a non-negative integer');
    },
  });
  convict.addFormat({
    name: 'positive-int',
    coerce: int,
    validate(v: unknown) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error('must be a positive integer');
    },
  });
  convict.addFormat({
    name: 'bool',
    coerce: (v: unknown) => {
      if (typeof v !== 'string') return v;
      const s = v.trim().toLowerCase();
      if (s === 'true' || s === '1' || s === 'yes') return true;
      if (s === 'false' || s === '0' || s === 'no') return false;
      return v;
    },
    validate(v: unknown) {
      if (typeof v !== 'boolean') throw new Error('must be true or false');
    },
  });
  convict.addFormat({
    name: 'endpoint-url',
    validate(v: unknown) {
      if (v === '') return;
      let u: URL | undefined;
      try {
        u = new URL(String(v));
      } catch {
        u = undefined;
      }
      if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:'))
        throw new Error('must be an http:// or https:// URL (or empty to disable)');
    },
  });
  convict.addFormat({
    name: 'otlp-protocol',
    coerce: (v: unknown) => {
      if (typeof v !== 'string') return v;
      const p = otlpProtocol(v);
      return 'protocol' in p ? p.protocol : v;
    },
    validate(v: unknown) {
      if (v === 'grpc' || v === 'http') return;
      const p = otlpProtocol(String(v));
      throw new Error('error' in p ? p.error : 'must be grpc or http/protobuf');
    },
  });
  convict.addFormat({
    name: 'key-values',
    validate(v: unknown) {
      if (typeof v !== 'string') throw new Error('must be key=value pairs separated by commas');
      const r = parseKeyValues(v);
      if ('error' in r) throw new Error(r.error);
    },
  });
  convict.addFormat({
    name: 'headers',
    validate(v: unknown) {
      if (typeof v !== 'string') throw new Error('must be key=value pairs separated by commas (value not shown)');
      const r = parseKeyValues(v, HEADER_LIST);
      if ('error' in r) throw new Error(r.error);
    },
  });
  convict.addFormat({
    name: 'existing-file',
    validate(v: unknown) {
      if (v === '') return;
      if (typeof v !== 'string' || !isFile(v)) throw new Error(`${JSON.stringify(v)}: file does not exist`);
    },
  });
  convict.addFormat({
    name: 'pem-file',
    validate(v: unknown) {
      if (v === '') return;
      let text: string;
      try {
        text = readFileSync(String(v), 'utf8');
      } catch (err) {
        throw new Error(
          `${JSON.stringify(v)}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
      if (!text.includes('-----BEGIN ')) throw new Error(`${JSON.stringify(v)}: not a PEM file (no -----BEGIN line)`);
    },
  });
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
