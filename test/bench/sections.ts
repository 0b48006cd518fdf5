// The per-size sections of `npm run bench` besides the sequential kso / KSM / SDK phases (run.ts). Adding a
// section (e.g. OTLP push, sidecar) is one entry here.
import { intervalsSection } from './intervals.ts';
import type { SizeSection } from './types.ts';

// biome-ignore lint/suspicious/noExplicitAny: each section has its own result type; the registry only routes it.
export const SIZE_SECTIONS: readonly SizeSection<any>[] = [intervalsSection];
