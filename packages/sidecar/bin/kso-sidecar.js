#!/usr/bin/env node
// Standalone entry point (the `kso sidecar` subcommand of @kso/cli calls the same runSidecar).
// process.exit: a half-open gRPC channel or watch socket must not keep a finished sidecar alive.
import { runSidecar } from '../src/cli.ts';

process.exit(await runSidecar(process.argv.slice(2)));
