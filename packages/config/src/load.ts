// One configuration layer for every kso command: a convict schema per command whose entries also name their
// KSM-compatible aliases, deprecated names and OTEL_* counterparts. Precedence, per key:
//   flags > KSO_* environment > OTEL_* environment > config file > defaults.
// convict re-applies the environment and the arguments after every load(), so loading the file and then the
// OTEL_* layer gives exactly that order. Problems are collected, not thrown one at a time: a user fixing a
// config sees every mistake in one go, one line each.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import convict from 'convict';
import { addFormats } from './formats.ts';
import { type Env, finishOtlp, readOtelEnv } from './otel-env.ts';

/** A convict schema entry plus kso's extras (stripped before convict sees the schema). */
export interface OptionSpec {
  doc: string;
  format: unknown;
  default: unknown;
  env: string;
  arg: string;
  sensitive?: boolean;
  /** Other flag names with the same meaning (KSM's, e.g. --port); not deprecated. */
  aliases?: readonly string[];
  /** Old flag / environment names still accepted, with a warning. */
  deprecatedFlags?: readonly string[];
  deprecatedEnv?: readonly string[];
  /** A flag that may be repeated, each value appended to the list (e.g. --otlp-header k=v). */
  repeatable?: string;
  /** The OTEL_* variable(s) read for this key (documentation; readOtelEnv does the reading). */
  otelEnv?: string;
}
export type OptionTree = { [key: string]: OptionSpec | OptionTree };

export interface OptionInfo {
  key: string;
  flag: string;
  env: string;
  doc: string;
  default: unknown;
  sensitive: boolean;
  boolean: boolean;
  aliases: readonly string[];
  deprecatedFlags: readonly string[];
  deprecatedEnv: readonly string[];
  repeatable?: string;
  otelEnv?: string;
}

const isSpec = (v: unknown): v is OptionSpec =>
  typeof v === 'object' && v !== null && 'doc' in v && 'default' in v && 'env' in v;

/** Flattened option list (help text, README tables, argv parsing). */
export function flatten(schema: OptionTree): OptionInfo[] {
  const out: OptionInfo[] = [];
  const walk = (node: OptionTree, prefix: string) => {
    for (const [k, v] of Object.entries(node)) {
      if (isSpec(v))
        out.push({
          key: prefix + k,
          flag: `--${v.arg}`,
          env: v.env,
          doc: v.doc,
          default: v.default,
          sensitive: v.sensitive === true,
          boolean: v.format === 'bool',
          aliases: (v.aliases ?? []).map((a) => `--${a}`),
          deprecatedFlags: (v.deprecatedFlags ?? []).map((a) => `--${a}`),
          deprecatedEnv: v.deprecatedEnv ?? [],
          ...(v.repeatable ? { repeatable: `--${v.repeatable}` } : {}),
          ...(v.otelEnv ? { otelEnv: v.otelEnv } : {}),
        });
      else walk(v, `${prefix}${k}.`);
    }
  };
  walk(schema, '');
  return out;
}

function toConvict(schema: OptionTree): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (isSpec(v)) {
      const { aliases: _a, deprecatedFlags: _d, deprecatedEnv: _e, repeatable: _r, otelEnv: _o, ...plain } = v;
      out[k] = plain;
    } else out[k] = toConvict(v);
  }
  return out;
}

export interface CommandSpec {
  /** `kso run`, `kso sidecar`: prefixes every problem line and help text. */
  command: string;
  schema: OptionTree;
  /** Flags of neighbouring tools (KSM) refused with the reason why they mean nothing here. */
  rejected?: Readonly<Record<string, string>>;
  /** Flags accepted and ignored, with the warning to log (e.g. behaviour that is always on). */
  ignored?: Readonly<Record<string, string>>;
  /** Read the OTEL_* environment (default true). */
  otel?: boolean;
}

export type Source = 'flag' | 'env' | 'otel' | 'file' | 'default';

export interface LoadResult<C> {
  config?: C;
  /** One line per problem, naming the option and where it can be set. */
  problems: string[];
  /** Deprecated names used, ignored flags: to be logged once the logger exists. */
  warnings: string[];
  /** Where the final value of a key came from. */
  sourceOf: (key: string) => Source;
}

interface Normalised {
  /** Canonical `--flag=value` (help, tests). */
  args: string[];
  /** Config key → raw value, in argv order (a later flag wins). */
  values: [string, string][];
  configFile?: string;
  problems: string[];
  warnings: string[];
  flagsGiven: Set<string>;
}

/** Every accepted flag spelling → its option (aliases, deprecated names, the repeatable singular). */
function flagIndex(opts: readonly OptionInfo[]): Map<string, { opt: OptionInfo; deprecated: boolean }> {
  const byFlag = new Map<string, { opt: OptionInfo; deprecated: boolean }>();
  for (const o of opts) {
    byFlag.set(o.flag, { opt: o, deprecated: false });
    for (const a of o.aliases) byFlag.set(a, { opt: o, deprecated: false });
    for (const a of o.deprecatedFlags) byFlag.set(a, { opt: o, deprecated: true });
    if (o.repeatable) byFlag.set(o.repeatable, { opt: o, deprecated: false });
  }
  return byFlag;
}

/**
 * A flag the command refuses (a problem) or ignores (a warning): returns how many following arguments it
 * consumed (0 or 1, its separate value, so that is not reported again as a stray argument); undefined for
 * any other flag.
 */
function refusedOrIgnored(
  spec: CommandSpec,
  name: string,
  value: string | undefined,
  next: string | undefined,
  out: Normalised,
): number | undefined {
  const bare = name.replace(/^--/, '');
  const refusal = spec.rejected?.[bare] ?? spec.rejected?.[bare.replace(/_/g, '-')];
  if (refusal !== undefined) {
    out.problems.push(`${name} is not supported: ${refusal}`);
    return value === undefined && next !== undefined && !next.startsWith('--') ? 1 : 0;
  }
  const ignore = spec.ignored?.[bare];
  if (ignore === undefined) return undefined;
  out.warnings.push(`${name} ignored: ${ignore}`);
  return value === undefined && /^(true|false)$/i.test(next ?? '') ? 1 : 0;
}

/**
 * The value of a recognised flag: `--x=v`; for booleans `--no-x`, a following `true`/`false`, or true; else
 * the next argument (consumed). undefined = a non-boolean flag at the end of argv without a value.
 */
function optionValue(
  opt: OptionInfo,
  negated: boolean,
  inline: string | undefined,
  next: string | undefined,
): { value: string | undefined; consumed: number } {
  if (opt.boolean) {
    if (negated) return { value: 'false', consumed: 0 };
    if (inline !== undefined) return { value: inline, consumed: 0 };
    if (next !== undefined && /^(true|false)$/i.test(next)) return { value: next, consumed: 1 };
    return { value: 'true', consumed: 0 };
  }
  if (inline !== undefined) return { value: inline, consumed: 0 };
  return { value: next, consumed: 1 };
}

/**
 * Argv into `--flag=value` form with canonical names: aliases and deprecated names mapped, repeatable flags
 * joined, `--no-x` for booleans, unknown and refused flags and stray positionals reported (convict's own
 * parser would silently ignore them). The config file path is returned separately.
 */
export function normaliseArgs(spec: CommandSpec, argv: readonly string[]): Normalised {
  const opts = flatten(spec.schema);
  const byFlag = flagIndex(opts);
  const out: Normalised = { args: [], values: [], problems: [], warnings: [], flagsGiven: new Set() };
  const repeated = new Map<OptionInfo, string[]>();
  const help = `see ${spec.command} --help`;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      out.problems.push(`unexpected argument ${JSON.stringify(a)} (options start with --; ${help})`);
      continue;
    }
    const eq = a.indexOf('=');
    let name = eq === -1 ? a : a.slice(0, eq);
    let value: string | undefined = eq === -1 ? undefined : a.slice(eq + 1);
    if (name === '--config') {
      if (value === undefined) value = argv[++i];
      if (value === undefined) out.problems.push('--config needs a file path');
      else out.configFile = value;
      continue;
    }
    const skipped = refusedOrIgnored(spec, name, value, argv[i + 1], out);
    if (skipped !== undefined) {
      i += skipped;
      continue;
    }
    let negated = false;
    if (!byFlag.has(name) && name.startsWith('--no-') && byFlag.get(`--${name.slice(5)}`)?.opt.boolean) {
      name = `--${name.slice(5)}`;
      negated = true;
    }
    const hit = byFlag.get(name);
    if (!hit) {
      out.problems.push(`unknown option ${name} (${help})`);
      continue;
    }
    const { opt } = hit;
    if (hit.deprecated) out.warnings.push(`${name} is deprecated: use ${opt.flag}`);
    const read = optionValue(opt, negated, value, argv[i + 1]);
    i += read.consumed;
    value = read.value;
    if (value === undefined) {
      out.problems.push(`option ${name} needs a value`);
      continue;
    }
    out.flagsGiven.add(opt.key);
    if (opt.repeatable) {
      repeated.set(opt, [...(repeated.get(opt) ?? []), value]);
      continue;
    }
    out.args.push(`${opt.flag}=${value}`);
    out.values.push([opt.key, value]);
  }
  // `--otlp-headers a=1,b=2` and repeated `--otlp-header c=3` add up to one list.
  for (const [opt, list] of repeated) {
    out.args.push(`${opt.flag}=${list.join(',')}`);
    out.values.push([opt.key, list.join(',')]);
  }
  return out;
}

function loadFile(path: string): { obj?: Record<string, unknown>; problem?: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { problem: `config file ${path}: cannot read: ${(err as Error).message}` };
  }
  try {
    // YAML is a superset of JSON, so one parser serves both; loaded only when a file is given (sidecar RSS).
    const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
    const obj = parse(text) as unknown;
    if (obj === null || obj === undefined) return { obj: {} };
    if (typeof obj !== 'object' || Array.isArray(obj)) return { problem: `config file ${path}: must be a mapping` };
    return { obj: obj as Record<string, unknown> };
  } catch (err) {
    return { problem: `config file ${path}: invalid YAML/JSON: ${(err as Error).message.split('\n')[0]}` };
  }
}

const hasKey = (obj: Record<string, unknown> | undefined, key: string): boolean => {
  let cur: unknown = obj;
  for (const part of key.split('.')) {
    if (typeof cur !== 'object' || cur === null || !(part in cur)) return false;
    cur = (cur as Record<string, unknown>)[part];
  }
  return true;
};

/** Deprecated environment names fill in the canonical one (which wins when both are set). */
function canonicalEnv(
  opts: readonly OptionInfo[],
  rawEnv: Env,
  warnings: string[],
): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...rawEnv };
  for (const o of opts)
    for (const old of o.deprecatedEnv) {
      if (env[old] === undefined || env[old] === '') continue;
      if (env[o.env] === undefined || env[o.env] === '') env[o.env] = env[old];
      warnings.push(`environment variable ${old} is deprecated: use ${o.env}`);
    }
  // An empty KSO_* variable means "not set" (a manifest's `value: ""`), as for OTEL_* variables.
  for (const o of opts) if (env[o.env] === '') delete env[o.env];
  return env;
}

/** Loads the --config file into `conf`; returns its object (for "where was this set"), problems to `problems`. */
function loadFileInto(
  conf: { load(o: object): unknown },
  path: string,
  problems: string[],
): Record<string, unknown> | undefined {
  const f = loadFile(path);
  if (f.problem) {
    problems.push(f.problem);
    return undefined;
  }
  if (!f.obj) return undefined;
  try {
    conf.load(f.obj);
  } catch (err) {
    problems.push(`config file ${path}: ${(err as Error).message}`);
  }
  return f.obj;
}

/** convict's validation errors, one problem per option, naming where the bad value came from. */
function validationProblems(
  conf: { validate(o: { allowed: 'strict' }): unknown },
  byKey: ReadonlyMap<string, OptionInfo>,
  where: (o: OptionInfo) => string,
): string[] {
  try {
    conf.validate({ allowed: 'strict' });
    return [];
  } catch (err) {
    const problems: string[] = [];
    for (const line of (err as Error).message.split('\n')) {
      if (line.trim() === '') continue;
      const m = /^([\w.]+): (.*)$/.exec(line);
      const opt = m ? byKey.get(m[1]!) : undefined;
      // convict appends `: value was "..."`; the format messages already quote what helps, and a sensitive
      // option's value must never be echoed.
      const msg = m ? m[2]!.replace(/: value was .*$/, '') : line;
      if (m && opt) problems.push(`${opt.key} (${where(opt)}): ${msg}`);
      else
        problems.push(
          line.replace(/^configuration param '([^']+)' not declared in the schema$/, 'unknown config key $1'),
        );
    }
    return problems;
  }
}

/** Loads and validates one command's configuration (no cross-field checks: the command adds those). */
export function loadConfig<C>(spec: CommandSpec, argv: readonly string[], rawEnv: Env): LoadResult<C> {
  addFormats();
  const opts = flatten(spec.schema);
  const byKey = new Map(opts.map((o) => [o.key, o]));
  const norm = normaliseArgs(spec, argv);
  const problems = [...norm.problems];
  const warnings = [...norm.warnings];

  const env = canonicalEnv(opts, rawEnv, warnings);

  const otel = spec.otel === false ? undefined : readOtelEnv(rawEnv);
  if (otel) problems.push(...otel.problems);

  // Flags are set last by hand rather than handed to convict, whose argument parser (yargs-parser) turns
  // `--service-instance-id=0123` into 123.
  const conf = convict(toConvict(spec.schema) as never, { args: [], env: env as Record<string, string> });
  const fileObj = norm.configFile !== undefined ? loadFileInto(conf, norm.configFile, problems) : undefined;
  if (otel) conf.load(otel.values);
  for (const [key, value] of norm.values) conf.set(key, value);

  const sourceOf = (key: string): Source => {
    if (norm.flagsGiven.has(key)) return 'flag';
    const o = byKey.get(key);
    if (o && env[o.env] !== undefined) return 'env';
    if (otel?.sources[key] !== undefined) return 'otel';
    if (hasKey(fileObj, key)) return 'file';
    return 'default';
  };
  const where = (o: OptionInfo): string => {
    const names = [o.flag, o.env];
    const from = otel?.sources[o.key];
    if (sourceOf(o.key) === 'otel' && from) names.push(from);
    else if (sourceOf(o.key) === 'file') names.push(`config file`);
    return names.join(', ');
  };

  problems.push(...validationProblems(conf, byKey, where));
  if (problems.length > 0) return { problems, warnings, sourceOf };
  const config = conf.getProperties() as Record<string, unknown>;
  const o = config['otlp'] as { endpoint: string; protocol: string } | undefined;
  if (otel && o && 'endpoint' in o && 'protocol' in o)
    finishOtlp(otel, o, { endpoint: sourceOf('otlp.endpoint'), protocol: sourceOf('otlp.protocol') });
  return { config: config as C, problems, warnings, sourceOf };
}

/** `--help` text from the schema: every flag, its aliases, environment names and default. */
export function usage(spec: CommandSpec, head: string, fmtDefault: (o: OptionInfo) => string): string {
  const lines = [head, '', 'Options (flag / environment variable):'];
  lines.push('  --config FILE  YAML or JSON file with the options below (keys as in the README table, nested by dots)');
  for (const o of flatten(spec.schema)) {
    const def = o.sensitive ? '' : fmtDefault(o);
    const names = [o.flag, ...o.aliases, ...(o.repeatable ? [`${o.repeatable} (repeatable)`] : [])].join(', ');
    const envs = [o.env, ...(o.otelEnv ? [o.otelEnv] : [])].join(', ');
    const old = [...o.deprecatedFlags, ...o.deprecatedEnv];
    const notes = [...(def ? [`default ${def}`] : []), ...(old.length ? [`deprecated: ${old.join(', ')}`] : [])];
    lines.push(`  ${names.padEnd(34)} ${envs.padEnd(36)} ${o.doc}${notes.length ? ` (${notes.join('; ')})` : ''}`);
  }
  lines.push('', 'Precedence: flags > KSO_* environment > OTEL_* environment > config file > defaults.');
  return lines.join('\n');
}
