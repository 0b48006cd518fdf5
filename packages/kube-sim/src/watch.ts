// Watch fan-out. Each store event is serialised once and written to every unfiltered watcher; filtered
// watchers see selector transitions as ADDED/DELETED, like the apiserver's watch cache.
import type { ServerResponse } from 'node:http';
import type { KObj, ResourceDef } from './resources.ts';
import type { Matcher } from './selectors.ts';
import type { EventType, StoreEvent } from './store.ts';
import { toTable } from './table.ts';

/** Lines buffered per watcher while streams are stalled; beyond this the stream is cut. */
const MAX_STALLED_LINES = 200_000;

export interface Watcher {
  id: number;
  res: ResourceDef;
  namespace: string | undefined;
  match: Matcher | undefined;
  bookmarks: boolean;
  /** kubectl asks for server-side printed rows; events then carry one-row Tables. */
  table: { include: string | null; headersSent: boolean } | undefined;
  response: ServerResponse;
  queue: string[] | undefined;
  timer: NodeJS.Timeout | undefined;
}

export function eventLine(type: string, objJson: string): string {
  return `{"type":"${type}","object":${objJson}}\n`;
}

export class WatchHub {
  #watchers = new Map<string, Set<Watcher>>();
  #nextId = 1;
  #stalled = false;
  started = 0;

  get count(): number {
    let n = 0;
    for (const s of this.#watchers.values()) n += s.size;
    return n;
  }

  newId(): number {
    return this.#nextId++;
  }

  add(w: Watcher): void {
    this.started++;
    let s = this.#watchers.get(w.res.kind);
    if (!s) {
      s = new Set();
      this.#watchers.set(w.res.kind, s);
    }
    s.add(w);
  }

  remove(w: Watcher): void {
    if (w.timer) clearTimeout(w.timer);
    this.#watchers.get(w.res.kind)?.delete(w);
  }

  all(): Watcher[] {
    return [...this.#watchers.values()].flatMap((s) => [...s]);
  }

  /** Serialises an object event for one watcher (Table form when kubectl asked for it). */
  line(w: Watcher, type: EventType | 'BOOKMARK' | 'ERROR', obj: KObj, cached?: StoreEvent): string {
    if (w.table && type !== 'BOOKMARK' && type !== 'ERROR') {
      const t = toTable(
        w.res,
        [obj],
        { resourceVersion: obj.metadata?.resourceVersion },
        w.table.include,
        !w.table.headersSent,
      );
      w.table.headersSent = true;
      return eventLine(type, JSON.stringify(t));
    }
    if (cached && cached.type === type && cached.obj === obj) {
      cached.line ??= eventLine(type, JSON.stringify(obj));
      return cached.line;
    }
    return eventLine(type, JSON.stringify(obj));
  }

  write(w: Watcher, line: string): void {
    if (w.response.destroyed) return;
    if (this.#stalled) {
      w.queue ??= [];
      w.queue.push(line);
      if (w.queue.length > MAX_STALLED_LINES) w.response.destroy();
      return;
    }
    w.response.write(line);
  }

  /** The event as this watcher must see it, or undefined when it is filtered out. */
  deliver(w: Watcher, e: StoreEvent): void {
    if (w.namespace && e.obj.metadata?.namespace !== w.namespace) return;
    if (!w.match) {
      this.write(w, this.line(w, e.type, e.obj, e));
      return;
    }
    const now = e.type !== 'DELETED' && w.match(e.obj);
    const before = e.prev !== undefined && w.match(e.prev);
    let type: EventType | undefined;
    if (e.type === 'DELETED') type = before ? 'DELETED' : undefined;
    else if (now) type = before ? 'MODIFIED' : 'ADDED';
    else if (before) type = 'DELETED';
    if (type) this.write(w, this.line(w, type, e.obj, e));
  }

  dispatch(e: StoreEvent): void {
    const s = this.#watchers.get(e.res.kind);
    if (!s) return;
    for (const w of s) this.deliver(w, e);
  }

  bookmark(rv: number): void {
    if (this.#stalled) return;
    for (const w of this.all()) {
      if (!w.bookmarks) continue;
      const obj = {
        kind: w.table ? 'Table' : w.res.kind,
        apiVersion: w.table ? 'meta.k8s.io/v1' : w.res.apiVersion,
        metadata: { resourceVersion: String(rv) },
      };
      this.write(w, eventLine('BOOKMARK', JSON.stringify(obj)));
    }
  }

  setStalled(on: boolean): void {
    this.#stalled = on;
    if (on) return;
    for (const w of this.all()) {
      const q = w.queue;
      w.queue = undefined;
      if (q?.length && !w.response.destroyed) w.response.write(q.join(''));
    }
  }

  get stalled(): boolean {
    return this.#stalled;
  }

  /** Cuts every stream abruptly (connection reset), as a network drop or apiserver crash would. */
  dropAll(): void {
    for (const w of this.all()) {
      this.remove(w);
      w.response.destroy();
    }
  }

  /** Ends every stream cleanly, as an apiserver shutting down gracefully would. */
  endAll(): void {
    for (const w of this.all()) {
      this.remove(w);
      w.response.end();
    }
  }
}
