import { readFileSync } from 'node:fs';

/** The kso version (service.version of pushed data, `kso version`). */
export const KSO_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
