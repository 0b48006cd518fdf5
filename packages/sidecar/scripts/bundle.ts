// Bundles `kso sidecar` (src/main.ts and everything it imports) into one CommonJS file, the entry CronJob pods run
// (src/launch.ts says why: no ESM facades of builtins, no TypeScript stripper, so --jitless works).
// Run at image build time (deploy/Dockerfile) and by the benchmark and tests (into a temporary file).
// Usage: node packages/sidecar/scripts/bundle.ts [outfile]   (default: packages/sidecar/dist/kso-sidecar.cjs)
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const DEFAULT_OUTFILE = resolve(ROOT, 'packages/sidecar/dist/kso-sidecar.cjs');

/**
 * `import.meta.url` of each bundled module, as the URL of its source file seen from where the bundle lives: the
 * sources read their package.json version and lazily `createRequire` optional dependencies (client-node for
 * kubeconfig files, yaml for config files) relative to it, which must resolve as in the repository/image layout.
 */
function sourceUrls(outDir: string): Plugin {
  return {
    name: 'kso-source-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.(ts|mjs|js)$/ }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const rel = JSON.stringify(relative(outDir, args.path));
        return {
          contents: text.replaceAll('import.meta.url', `__ksoSourceUrl(${rel})`),
          loader: args.path.endsWith('.ts') ? 'ts' : 'js',
        };
      });
    },
  };
}

/** Bundles `entry` (default: the sidecar's src/main.ts; the benchmark bundles its import-cost probe) to `outfile`. */
export async function bundleSidecar(
  outfile = DEFAULT_OUTFILE,
  entry = resolve(ROOT, 'packages/sidecar/src/main.ts'),
): Promise<string> {
  const out = resolve(outfile);
  await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: 'node',
    target: 'node24',
    // CommonJS, so builtins are `require`d (see src/launch.ts); nothing in the sidecar uses top-level await.
    format: 'cjs',
    banner: {
      js: "const __ksoSourceUrl = (rel) => require('node:url').pathToFileURL(require('node:path').join(__dirname, rel)).href;",
    },
    plugins: [sourceUrls(dirname(out))],
    // Readable stack traces and class names in logs; minifying saves no measurable RSS (V8 parses lazily).
    minify: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await bundleSidecar(process.argv[2]);
  process.stdout.write(`sidecar bundle written to ${relative(process.cwd(), out)}\n`);
}
