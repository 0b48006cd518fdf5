import type { FamilyDescriptor, FamilyType, Point, ResourceName } from './types.ts';

/** Per-resource generation options, resolved once by the store. */
export interface GenerateContext {
  /**
   * `--metric-labels-allowlist` entry for this resource: undefined = resource not listed (the *_labels family
   * emits nothing), ['*'] = every label, otherwise the allowed keys.
   */
  readonly labelsAllow: readonly string[] | undefined;
  readonly annotationsAllow: readonly string[] | undefined;
}

export const DEFAULT_CONTEXT: GenerateContext = Object.freeze({ labelsAllow: undefined, annotationsAllow: undefined });

/** One declaration per family, like KSM's FamilyGenerator: metadata + a pure generator. */
export interface FamilyDef<S> extends FamilyDescriptor {
  /** Family-specific label keys in wire order after the resource's default labels (docs; `label_*` etc. are dynamic). */
  readonly labels: readonly string[];
  /** What the family means / when it emits (rendered in METRICS.md). */
  readonly doc: string;
  readonly generate: (s: S, ctx: GenerateContext) => Point[];
}

export function family<S>(
  resource: ResourceName,
  name: string,
  type: FamilyType,
  stability: string,
  help: string,
  labels: readonly string[],
  doc: string,
  generate: (s: S, ctx: GenerateContext) => Point[],
  unit = '',
): FamilyDef<S> {
  // KSM prefixes STABLE help texts on the wire; keeping it in `help` means exporters need no special case.
  const fullHelp = stability === 'STABLE' ? `[STABLE] ${help}` : help;
  return Object.freeze({ name, help: fullHelp, type, unit, resource, stability, labels, doc, generate });
}

export const NONE: Point[] = [];

export function b2f(b: boolean): number {
  return b ? 1 : 0;
}
