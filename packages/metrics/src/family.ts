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

/**
 * One family as a table declares it, an object literal like KSM's FamilyGenerator: the full exposed name (so a
 * grep for it finds this declaration), type, unit, help, labels and a pure generator. The resource comes from
 * the table (`familyTable`).
 */
export interface FamilySpec<S> {
  /** Exposed name, written out in full. */
  readonly name: string;
  readonly type: FamilyType;
  /** 'STABLE' | 'ALPHA' for ksm, semconv stability for semconv, 'EXTENSION' for kube-state-otel additions. */
  readonly stability: string;
  /** Help text as KSM's generator declares it; STABLE families get KSM's `[STABLE] ` wire prefix added. */
  readonly help: string;
  /** UCUM unit for OTLP (default none). */
  readonly unit?: string;
  /**
   * Family-specific label keys in wire order after the resource's default labels (`DEFAULT_LABELS`). A key
   * ending in `*` is a pattern for dynamic keys (`label_*`), one ending in `?` is emitted only when known. A test
   * holds every family to this list: no undeclared key, no declared key that never appears, wire order kept.
   */
  readonly labels: readonly string[];
  /** What the family means / when it emits (rendered in METRICS.md). */
  readonly doc: string;
  /** Off unless named by `--metric-opt-in-list` (KSM's NewOptInFamilyGenerator). */
  readonly optIn?: boolean;
  readonly valueType?: 'int' | 'double';
  readonly pointAttributes?: readonly string[];
  readonly generate: (s: S, ctx: GenerateContext) => Point[];
}

/** One declaration per family, like KSM's FamilyGenerator: metadata + a pure generator. */
export interface FamilyDef<S> extends FamilyDescriptor {
  /** As declared (see FamilySpec.labels); family-labels.test.ts holds the generator to it. */
  readonly labels: readonly string[];
  readonly doc: string;
  /** Exposed only when `--metric-opt-in-list` names it (KSM opt-in families). */
  readonly optIn?: boolean;
  readonly generate: (s: S, ctx: GenerateContext) => Point[];
}

function define<S>(resource: ResourceName, spec: FamilySpec<S>): FamilyDef<S> {
  const { name, type, stability, help, unit = '', labels, doc, optIn, valueType, pointAttributes, generate } = spec;
  // KSM prefixes STABLE help texts on the wire; keeping it in `help` means exporters need no special case.
  const fullHelp = stability === 'STABLE' ? `[STABLE] ${help}` : help;
  return Object.freeze({
    name,
    help: fullHelp,
    type,
    unit,
    resource,
    stability,
    labels: Object.freeze([...labels]),
    doc,
    generate,
    ...(optIn ? { optIn: true } : {}),
    ...(pointAttributes ? { pointAttributes: Object.freeze([...pointAttributes]) } : {}),
    ...(valueType ? { valueType } : {}),
  });
}

/** A resource's family table, frozen, in exposition order. */
export function familyTable<S>(resource: ResourceName, specs: readonly FamilySpec<S>[]): readonly FamilyDef<S>[] {
  return Object.freeze(specs.map((s) => define(resource, s)));
}

export const NONE: Point[] = [];

export function b2f(b: boolean): number {
  return b ? 1 : 0;
}
