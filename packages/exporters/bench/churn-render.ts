// Render cost when many objects changed since the last scrape (issue #12 item 2): N pods, K pod updates between
// renders (K = writes/s × scrape interval), server-side render time only. Run with --cpu-prof to see where it goes:
// node packages/exporters/bench/churn-render.ts [pods] [changesPerRender] [renders]
import { fileURLToPath } from 'node:url';
import { StoreRenderer } from '../src/renderer.ts';
import { storeBenchSource } from './scrape.ts';

export function runChurnRender(pods: number, changes: number, renders: number) {
  const b = storeBenchSource(pods);
  const r = new StoreRenderer({ numberFormat: 'go' });
  r.renderPieces(b.source, 'text');
  let k = 0;
  const ms: number[] = [];
  for (let i = 0; i < renders; i++) {
    for (let c = 0; c < changes; c++) b.touch(++k);
    const t = performance.now();
    r.renderPieces(b.source, 'text');
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return { pods, changes, renders, p50Ms: Math.round(ms[Math.floor(ms.length / 2)]! * 10) / 10, stats: r.stats };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [pods = 10_000, changes = 750, renders = 10] = process.argv.slice(2).map(Number);
  process.stdout.write(`${JSON.stringify(runChurnRender(pods, changes, renders))}\n`);
}
