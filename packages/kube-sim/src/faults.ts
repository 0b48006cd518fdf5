// Fault injection state, shared by the programmatic API and the HTTP control endpoint (/_sim/faults).
import { resourceFor } from './resources.ts';

export type FailVerb = 'list' | 'watch' | 'get' | 'create' | 'update' | 'patch' | 'delete' | 'any';

export interface FailNextOptions {
  status: 429 | 500 | 503;
  retryAfterSeconds?: number;
  /** Plural ('pods'), kind ('Pod') or short name; omitted = every resource. */
  resource?: string;
  verb?: FailVerb;
}

interface FailRule {
  remaining: number;
  status: number;
  retryAfterSeconds: number | undefined;
  resource: string | undefined;
  verb: FailVerb;
}

export class FaultState {
  latencyMs = 0;
  stalled = false;
  /** Plurals whose next watch gets 410; '*' = any resource. */
  expireNext = new Set<string>();
  rules: FailRule[] = [];
  injected = 0;
  /**
   * Store events still to be withheld from every open watch (not from later resumes or lists): a watch
   * cache that lost events, the bug class a client's consistency check exists for.
   */
  loseEvents = 0;

  failNext(n: number, opts: FailNextOptions): void {
    if (!(n > 0)) return;
    if (![429, 500, 503].includes(opts.status)) throw new Error(`failNext: unsupported status ${opts.status}`);
    this.rules.push({
      remaining: Math.floor(n),
      status: opts.status,
      retryAfterSeconds: opts.retryAfterSeconds,
      resource: opts.resource ? normalise(opts.resource) : undefined,
      verb: opts.verb ?? 'any',
    });
  }

  /** Consumes one matching failure, if any. */
  takeFailure(
    plural: string | undefined,
    verb: string,
  ): { status: number; retryAfterSeconds: number | undefined } | undefined {
    for (const r of this.rules) {
      if (r.remaining <= 0) continue;
      if (r.resource && r.resource !== plural) continue;
      if (r.verb !== 'any' && r.verb !== verb) continue;
      r.remaining--;
      this.rules = this.rules.filter((x) => x.remaining > 0);
      this.injected++;
      return { status: r.status, retryAfterSeconds: r.retryAfterSeconds };
    }
    return undefined;
  }

  expireNextWatch(resource?: string): void {
    this.expireNext.add(resource ? normalise(resource) : '*');
  }

  takeExpire(plural: string): boolean {
    if (this.expireNext.delete(plural)) return true;
    return this.expireNext.delete('*');
  }

  clearRequestFaults(): void {
    this.latencyMs = 0;
    this.expireNext.clear();
    this.rules = [];
    this.loseEvents = 0;
  }

  snapshot(): Record<string, unknown> {
    return {
      latencyMs: this.latencyMs,
      stalled: this.stalled,
      expireNextWatch: [...this.expireNext],
      failNext: this.rules.map((r) => ({ ...r })),
      loseNextEvents: this.loseEvents,
      injected: this.injected,
    };
  }
}

function normalise(resource: string): string {
  return resourceFor(resource)?.plural ?? resource;
}
