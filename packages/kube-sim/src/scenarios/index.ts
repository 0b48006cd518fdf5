import type { Logger } from 'pino';
import type { Store } from '../store.ts';
import { type DemoOptions, startDemo } from './demo.ts';
import { flattenObjects, loadObjects, readObjectFile } from './objects.ts';
import { type ScaleOptions, startScale } from './scale.ts';

export type { DemoOptions, ScaleOptions };

export interface RunningScenario {
  stop(): void;
}

export interface ScenarioOptions {
  scenario: 'empty' | 'demo' | 'scale';
  scale: ScaleOptions | undefined;
  demo: DemoOptions | undefined;
  objects: unknown[] | undefined;
  objectFiles: string[] | undefined;
  logger: Logger;
}

export async function loadScenario(store: Store, o: ScenarioOptions): Promise<RunningScenario> {
  const stops: (() => void)[] = [];
  if (o.scenario === 'demo') stops.push(startDemo(store, o.logger, o.demo).stop);
  else if (o.scenario === 'scale') stops.push(startScale(store, o.scale ?? { pods: 1000, jobs: 100 }, o.logger).stop);
  else if (o.scenario !== 'empty' && o.scenario !== undefined)
    throw new Error(`unknown scenario "${String(o.scenario)}" (empty, demo, scale)`);
  if (o.objects?.length) loadObjects(store, flattenObjects(o.objects));
  for (const f of o.objectFiles ?? []) {
    const n = loadObjects(store, await readObjectFile(f));
    o.logger.info({ file: f, objects: n }, 'objects loaded');
  }
  return {
    stop: () => {
      for (const s of stops.splice(0)) s();
    },
  };
}
