// Preloaded (`--import`) into every test file's child process by each package's `test` script.
//
// Why not `--test-force-exit`: on Node 22/24 it makes the child call process.exit() while its result
// stream to the runner (a non-blocking pipe) still holds queued bytes, so the last verdicts of a file
// vanish at random and the run still passes (nodejs/node#64833; a 200-test toy suite reported 136–200).
// Without it a file whose tests leave a server, socket, timer or child process open never exits and
// `--test-timeout` does not help (it times tests, not files). This guard keeps the run finite and
// makes such a leak a loud failure of that file instead: once every test of the file is done, an
// unref'd timer (it cannot itself keep the process alive) waits KSO_TEST_EXIT_GRACE_MS; if the process
// is still alive then, it names the open handles, waits for stdout to drain (so no verdict already
// produced is lost) and exits 1. The grace also covers the file's own root after() hooks, which run
// after this one (hooks run in registration order and one registered once tests have started is
// never run), so it is generous.
import { after } from 'node:test';

const graceMs = Number(process.env.KSO_TEST_EXIT_GRACE_MS ?? 30_000);

if (process.env.NODE_TEST_CONTEXT === 'child-v8') {
  after(() => {
    setTimeout(() => {
      const open = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
      process.stderr.write(
        `[exit-guard] ${process.argv[1]}: still running ${graceMs} ms after its last test; ` +
          `open handles: ${open.join(', ') || '(none reported)'}. Close what the tests start.\n`,
      );
      process.stdout.write('', () => process.exit(1));
    }, graceMs).unref();
  });
}
