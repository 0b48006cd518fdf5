// Sample value formatting. 'js' matches the OTel SDK PrometheusSerializer (`${value}`); 'go' matches
// kube-state-metrics, which prints Go strconv.FormatFloat(v, 'g', -1, 64): shortest round-trip digits,
// exponent form when the decimal exponent is < -4 or >= 6 (Go uses precision 6 for that decision when
// the precision is "shortest"), exponent signed with at least two digits.

export type NumberFormat = 'go' | 'js';

export function formatJs(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return `${value}`;
}

export function formatGo(value: number): string {
  if (value === 0) return '0'; // includes -0, like KSM's writeFloat fast path
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  const neg = value < 0;
  const abs = neg ? -value : value;
  // Integers below 1e6 print identically in Go and JS: the hot case (0/1 and small counts).
  if (abs < 1e6 && abs >= 1e-4 && Number.isInteger(abs)) return `${value}`;
  // Both runtimes produce the shortest round-trip digits; take JS's digits and the decimal point position.
  const s = `${abs}`;
  let digits: string;
  let dp: number; // position of the decimal point relative to the digit string start
  const e = s.indexOf('e');
  const mant = e === -1 ? s : s.slice(0, e);
  const exp10 = e === -1 ? 0 : Number(s.slice(e + 1));
  const dot = mant.indexOf('.');
  if (dot === -1) {
    digits = mant;
    dp = mant.length + exp10;
  } else {
    digits = mant.slice(0, dot) + mant.slice(dot + 1);
    dp = dot + exp10;
  }
  let lead = 0;
  while (lead < digits.length - 1 && digits.charCodeAt(lead) === 48) lead++;
  digits = digits.slice(lead);
  dp -= lead;
  let end = digits.length;
  while (end > 1 && digits.charCodeAt(end - 1) === 48) end--;
  digits = digits.slice(0, end);
  const nd = digits.length;
  const x = dp - 1;
  let out: string;
  if (x < -4 || x >= 6) {
    const ax = x < 0 ? -x : x;
    out = `${digits[0]}${nd > 1 ? `.${digits.slice(1)}` : ''}e${x < 0 ? '-' : '+'}${ax < 10 ? '0' : ''}${ax}`;
  } else if (dp <= 0) {
    out = `0.${'0'.repeat(-dp)}${digits}`;
  } else if (dp >= nd) {
    out = digits + '0'.repeat(dp - nd);
  } else {
    out = `${digits.slice(0, dp)}.${digits.slice(dp)}`;
  }
  return neg ? `-${out}` : out;
}

export function numberFormatter(format: NumberFormat): (value: number) => string {
  return format === 'go' ? formatGo : formatJs;
}
