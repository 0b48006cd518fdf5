#!/usr/bin/env node
// Plain-JS entry so `kso` works as a package bin; Node 24 runs the TypeScript sources directly.
import { main } from '../src/main.ts';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`kso: fatal: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
