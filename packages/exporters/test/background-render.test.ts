import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { BackgroundRender } from '../src/background-render.ts';
import { GzipCache } from '../src/gzip-cache.ts';
import { StoreRenderer, startPrometheusServer } from '../src/index.ts';
import { Piece } from '../src/piece.ts';
import { ScrapeCadence } from '../src/scrape-cadence.ts';
import { syntheticPod } from '../src/testing/index.ts';
import { realisticSource } from './helpers.ts';

const TEXT = { format: 'text', gzip: true } as const;

test('cadence: a client scraping every 15 s is expected 15 s after its last scrape', () => {
  const c = new ScrapeCadence();
  c.observe('10.0.0.1 Prometheus/3.5', TEXT, 1_000);
  assert.equal(c.next(1_500), undefined, 'one scrape is no cadence yet');
  c.observe('10.0.0.1 Prometheus/3.5', TEXT, 16_000);
  assert.deepEqual(c.next(16_100), { at: 31_000, intervalMs: 15_000, kinds: [TEXT] });
  // A late scrape: the next slot on the same grid.
  assert.equal(c.next(32_000)?.at, 46_000);
  assert.equal(c.next(61_001), undefined, 'a client gone for more than three intervals is forgotten');
});

test('cadence: an HA pair on two grids gives the earlier scrape and both kinds; back to back is no cadence', () => {
  const c = new ScrapeCadence();
  c.observe('a', TEXT, 0);
  c.observe('b', { format: 'openmetrics', gzip: false }, 5_000);
  c.observe('a', TEXT, 15_000);
  c.observe('b', { format: 'openmetrics', gzip: false }, 20_000);
  const n = c.next(20_100);
  assert.equal(n?.at, 30_000);
  assert.deepEqual(n?.kinds, [TEXT, { format: 'openmetrics', gzip: false }]);
  const b2b = new ScrapeCadence();
  b2b.observe('curl', TEXT, 0);
  b2b.observe('curl', TEXT, 150);
  assert.equal(b2b.next(200), undefined);
});

test('cadence: text is wanted while an uncompressed client keeps scraping, not for a one-off scrape', () => {
  const c = new ScrapeCadence();
  const plain = { format: 'text', gzip: false } as const;
  c.observe('prom', TEXT, 0);
  c.observe('prom', TEXT, 15_000);
  assert.equal(c.readsText(15_100), false, 'gzip clients only');
  c.observe('curl', plain, 16_000);
  assert.equal(c.readsText(16_100), false, 'one uncompressed scrape is no reader yet');
  c.observe('curl', plain, 31_000);
  assert.equal(c.readsText(31_100), true, 'a second one 15 s later is');
  assert.equal(c.readsText(31_000 + 45_000), true, 'kept through two missed scrapes');
  assert.equal(c.readsText(31_000 + 45_001), false, 'then forgotten');
  c.observe('curl', TEXT, 40_000);
  assert.equal(c.readsText(40_100), false, 'the same client now asks for gzip');
});

test('background: a large drop of text is followed by one collection; small drops wait for the usual one', async (t) => {
  let collections = 0;
  const source = realisticSource();
  const bg = new BackgroundRender({
    renderer: new StoreRenderer(),
    source,
    everyMs: 60_000,
    logger: pino({ level: 'silent' }),
    prepare: async () => {},
    gc: () => collections++,
  });
  t.after(() => bg.stop());
  bg.dropped(1 << 20);
  bg.dropped(64 << 20);
  bg.dropped(64 << 20);
  await new Promise((r) => setTimeout(r, 1_300));
  assert.equal(collections, 1);
  assert.equal(bg.stats.collections, 1);
});

test('background: text built by prerender itself (a sync) is compacted once the builds stop, or once a client that read it stops', async (t) => {
  // A renderer whose prerender builds the body on its first ticks, like the folds of an initial sync.
  const fake = (folds: number) => {
    const stats = { bodyRenders: 0 };
    return {
      stats,
      prerender: () => {
        if (folds-- > 0) stats.bodyRenders++;
        return 0;
      },
    } as unknown as StoreRenderer;
  };
  const start = (renderer: StoreRenderer, compact: () => Promise<void>) => {
    const bg = new BackgroundRender({
      renderer,
      source: realisticSource(),
      everyMs: 20,
      logger: pino({ level: 'silent' }),
      prepare: async () => {},
      compact,
    });
    t.after(() => bg.stop());
    return bg;
  };
  let alone = 0;
  const bg = start(fake(5), async () => {
    alone++;
  });
  let reader = 0;
  const read = start(fake(5), async () => {
    reader++;
  });
  read.scraped('curl', { format: 'text', gzip: false });
  read.scraped('curl', { format: 'text', gzip: false });
  let idle = 0;
  start(fake(0), async () => {
    idle++;
  });
  await new Promise((r) => setTimeout(r, 2_800));
  assert.equal(alone, 1, 'one compaction after the last build');
  assert.equal(bg.stats.compactions, 1);
  assert.equal(reader, 0, 'a client that reads text keeps it');
  assert.equal(idle, 0, 'nothing built by prerender: nothing to compact');
  // That client is gone once it has missed its scrapes (3 × 2 s after its last one).
  await new Promise((r) => setTimeout(r, 5_500));
  assert.equal(reader, 1, 'compacted after the reader stopped');
  assert.equal(alone, 1, 'once');
});

test('gzip cache: a drop predicate is asked per piece, so text a client started reading meanwhile stays', async () => {
  const z = new GzipCache(1);
  const pieces = [1, 2, 3, 4].map((i) => new Piece(Buffer.from(`p ${i}\n`.repeat(100))));
  let asked = 0;
  // Text is wanted from the second question on (a client came while the body was being compressed).
  await z.body({ pieces, length: pieces.reduce((n, p) => n + p.length, 0) }, () => asked++ === 0);
  assert.ok(asked > 1);
  assert.equal(pieces.filter((p) => !p.hasText).length, 1, 'only the piece compressed before the client came');
  assert.equal(z.takeDropped(), pieces[0]?.length);
});

test('gzip cache: unchanged pieces keep their members; the members inflate to the body', async () => {
  const z = new GzipCache(1);
  const a = new Piece(Buffer.from('a 1\n'.repeat(1000)));
  const b = new Piece(Buffer.from('b 2\n'));
  const first = await z.body({ pieces: [a, b], length: a.length + b.length });
  const c = new Piece(Buffer.from('c 3\n'));
  const second = await z.body({ pieces: [a, c], length: a.length + c.length });
  assert.equal(second[0], first[0], 'the unchanged piece was not compressed again');
  assert.equal(gunzipSync(Buffer.concat(second)).toString(), `${'a 1\n'.repeat(1000)}c 3\n`);
});

function getGzip(url: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { 'accept-encoding': 'gzip', 'user-agent': 'Prometheus/test' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(gunzipSync(Buffer.concat(chunks))));
    })
      .on('error', reject)
      .end();
  });
}

test('bridge: with a scrape cadence the body is built before the scrape and garbage is collected between', async (t) => {
  const source = realisticSource();
  const srv = await startPrometheusServer({ source, host: '127.0.0.1', port: 0, refreshIntervalMs: 100 });
  t.after(() => srv.close());
  const url = `${srv.url}/metrics`;
  await getGzip(url);
  await new Promise((r) => setTimeout(r, 2_200));
  await getGzip(url);
  source.setPod(syntheticPod(3, { restarts: 91 }));
  // Next scrape expected ~2.2 s later: the body is prepared at least 0.3 s before it, the GC at half-way.
  for (let i = 0; i < 40 && srv.background.prepared === 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(srv.background.prepared, 1, 'the body was built ahead of the expected scrape');
  assert.equal(srv.background.collections, 1, 'one collection between the two scrapes');
  const before = { ...srv.renderer.stats };
  const body = (await getGzip(url)).toString();
  assert.equal(srv.renderer.stats.objectRenders, before.objectRenders, 'the scrape rendered no object');
  assert.equal(srv.renderer.stats.segmentBuilds, before.segmentBuilds, 'and rebuilt no segment');
  assert.ok(body.includes(`pod="${syntheticPod(3).name}",uid="${syntheticPod(3).uid}",container="app"} 91\n`));
});
