// Kubernetes resource.Quantity parsing, exact (BigInt) so that KSM's rounding (MilliValue/Value round
// up to the next integer unit) is reproduced without float noise: 0.1 * 1000 must be 100, not 100.00000000000001.

const DECIMAL_SUFFIX: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIX: Readonly<Record<string, bigint>> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};

// <sign><digits>[.<digits>]<suffix>; the decimal exponent alternative comes first so "1E3" is 1000, "1E" is 1e18.
const QUANTITY_RE = /^([+-]?)(\d+\.?\d*|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|)$/;

export class QuantityParseError extends Error {
  override name = 'QuantityParseError';
}

interface Exact {
  /** value = mantissa * 10^exp10 */
  readonly mantissa: bigint;
  readonly exp10: number;
}

function parseExact(input: string): Exact {
  const m = QUANTITY_RE.exec(input.trim());
  if (!m) throw new QuantityParseError(`invalid quantity ${JSON.stringify(input.slice(0, 64))}`);
  const sign = m[1] === '-' ? -1n : 1n;
  const num = m[2]!;
  const suffix = m[3]!;
  const dot = num.indexOf('.');
  const intPart = dot === -1 ? num : num.slice(0, dot);
  const fracPart = dot === -1 ? '' : num.slice(dot + 1);
  let mantissa = sign * BigInt((intPart + fracPart).replace(/^0+(?=\d)/, '') || '0');
  let exp10 = -fracPart.length;
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && suffix[1] !== 'i') {
    exp10 += Number.parseInt(suffix.slice(1), 10);
  } else if (suffix in BINARY_SUFFIX) {
    mantissa *= BINARY_SUFFIX[suffix]!;
  } else {
    exp10 += DECIMAL_SUFFIX[suffix]!;
  }
  return { mantissa, exp10 };
}

/** ceil(value * 10^scale) as a Number: Kubernetes ScaledValue semantics (round towards +infinity). */
function scaledCeil(q: Exact, scale: number): number {
  const e = q.exp10 + scale;
  if (e >= 0) return Number(q.mantissa * 10n ** BigInt(e));
  const div = 10n ** BigInt(-e);
  let quot = q.mantissa / div; // truncates towards zero
  if (q.mantissa % div !== 0n && q.mantissa > 0n) quot += 1n;
  return Number(quot);
}

/** The quantity as a plain number (no rounding beyond float precision), e.g. "1.5Gi" → 1610612736. */
export function parseQuantity(input: string): number {
  const q = parseExact(input);
  return Number(q.mantissa) * 10 ** q.exp10;
}

/** Quantity.Value(): integer, rounded up (bytes, counts). */
export function quantityValue(input: string): number {
  return scaledCeil(parseExact(input), 0);
}

/** Quantity.MilliValue()/1000: what KSM reports for cpu (cores, millicore precision rounded up). */
export function quantityCores(input: string): number {
  return scaledCeil(parseExact(input), 3) / 1000;
}
