// 32-bit FNV-1a of a string's UTF-16 code units: the hash behind both content-defined cuts (the Prometheus
// renderer's segment ends, the OTLP gzip pieces' boundaries), where a boundary must depend on the object alone,
// not on its position. (Sharding's KSM-compatible FNV-1a 64 of the UID bytes is a different function.)
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
