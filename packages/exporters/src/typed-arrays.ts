// Module scratch and tables that grow as a push needs (otlp-chunks.ts, otlp-piece-table.ts).

type Typed = Uint32Array | Int32Array;

/** a itself when it holds n, else a copy of it with room for n (at least twice as long, so growth is amortised). */
export function grown<T extends Typed>(a: T, n: number): T {
  if (a.length >= n) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}
