// One parser for the OpenTelemetry `key=value,key2=value2` lists: OTEL_EXPORTER_OTLP_HEADERS (and kso's
// --otlp-headers / repeated --otlp-header), OTEL_RESOURCE_ATTRIBUTES and --resource-attributes. The spec's
// format is the W3C Baggage octet list: entries separated by commas, key and value trimmed, the value
// percent-decoded (so a value may contain `,` or `=` as %2C / %3D).

export interface KeyValueOptions {
  /** Header names are case-insensitive and gRPC metadata keys must be lower case. */
  readonly lowerCaseKeys?: boolean;
  /**
   * Header values may not hold control characters (tab aside): Node refuses them on HTTP/1.1, and on HTTP/2 they
   * would reach the peer as a malformed header. Caught at start-up rather than on every push.
   */
  readonly headerValues?: boolean;
}

/** OTLP header lists (OTEL_EXPORTER_OTLP_HEADERS, --otlp-headers): what a header name and value may be. */
export const HEADER_LIST: KeyValueOptions = { lowerCaseKeys: true, headerValues: true };

export type KeyValueResult = { values: Record<string, string> } | { error: string };

/**
 * Parses the list; a later duplicate key wins (so `generic,signal-specific` concatenation lets the second win).
 * Errors name the position of the bad entry, never its value: headers carry credentials.
 */
export function parseKeyValues(text: string, opts: KeyValueOptions = {}): KeyValueResult {
  const values: Record<string, string> = {};
  const parts = text.split(',');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const key = eq === -1 ? '' : part.slice(0, eq).trim();
    if (eq === -1 || key === '')
      return { error: `entry ${i + 1} is not key=value (entries are separated by commas; value not shown)` };
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key))
      return { error: `entry ${i + 1} has an invalid key (allowed: letters, digits and !#$%&'*+-.^_\`|~)` };
    let value: string;
    try {
      value = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return { error: `entry ${i + 1} has an invalid percent-encoding in its value (value not shown)` };
    }
    if (opts.headerValues && /[\x00-\x08\x0a-\x1f\x7f]/.test(value))
      return { error: `entry ${i + 1} has a control character in its value (value not shown)` };
    values[opts.lowerCaseKeys ? key.toLowerCase() : key] = value;
  }
  return { values };
}

/** Headers: keys lower-cased. Undefined when malformed. */
export function parseHeaders(text: string): Record<string, string> | undefined {
  const r = parseKeyValues(text, HEADER_LIST);
  return 'values' in r ? r.values : undefined;
}
