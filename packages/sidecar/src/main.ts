// Entry of the bundled sidecar (scripts/bundle.ts → dist/kso-sidecar.cjs), the command the CronJob manifest and
// the Helm helper run. It takes `kso sidecar`'s arguments, including the leading `sidecar`, so one `args:` list
// works with the image's default entry point (`kso sidecar ...`) and with this lighter one.
// process.exit: a half-open gRPC channel or watch socket must not keep a finished sidecar alive.
import { runSidecar } from './cli.ts';

const argv = process.argv.slice(2);
if (argv[0] === 'sidecar') argv.shift();
runSidecar(argv).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`kso sidecar: fatal: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
