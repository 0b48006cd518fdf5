// Render cost when many objects changed since the last scrape (issue #12 item 2): N pods, K pod updates between
// renders (K = writes/s × scrape interval), server-side render time only. With `ticks` > 0 the updates arrive in
// that many batches with a background prerender after each (what the HTTP server does every second), so the
// timed render is what a scrape still has to do. Run with --cpu-prof to see where the time goes:
// node packages/exporters/bench/churn-render.ts [pods] [changesPerRender] [renders] [ticks]
import { fileURLToPath } from 'node:url';
import { StoreRenderer } from '../src/renderer.ts';
import { storeBenchSource } from './scrape.ts';

export function runChurnRender(pods: number, changes: number, renders: number, ticks = 0) {
  const b = storeBenchSource(pods);
  const r = new StoreRenderer({ numberFormat: 'go' });
  r.renderPieces(b.source, 'text');
  let k = 0;
  const ms: number[] = [];
  let backgroundMs = 0;
  for (let i = 0; i < renders; i++) {
    for (let c = 0; c < changes; c++) {
      b.touch(++k);
      if (ticks > 0 && (c + 1) % Math.ceil(changes / ticks) === 0) {
        const t = performance.now();
        r.prerender(b.source);
        backgroundMs += performance.now() - t;
      }
    }
    const t = performance.now();
    r.renderPieces(b.source, 'text');
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    pods,
    changes,
    renders,
    ticks,
    renderP50Ms: round(ms[Math.floor(ms.length / 2)] as number),
    backgroundMsPerRender: round(backgroundMs / renders),
    stats: r.stats,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [pods = 10_000, changes = 750, renders = 10, ticks = 0] = process.argv.slice(2).map(Number);
  process.stdout.write(`${JSON.stringify(runChurnRender(pods, changes, renders, ticks))}\n`);
}
