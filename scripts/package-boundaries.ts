// Package boundaries (issue #14 item 4), checked by test/test/package-boundaries.test.ts; run by hand to list
// the problems:  node scripts/package-boundaries.ts
//  - a package's runtime `dependencies` are exactly what its production code (src/, bin/, scripts/, except
//    src/testing/) imports; what only tests, benchmarks and src/testing/ import is a devDependency; scripts/
//    may also import devDependencies (build-time tools such as the sidecar's bundler);
//  - a package's main entry never re-exports its test harness (src/testing/ is the `./testing` subpath);
//  - no file reaches into another package's src/, test/ or bench/ by a relative path: packages are imported
//    by name (`@kso/x`, `@kso/x/testing`).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  exports?: Record<string, string>;
}

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;
const BUILTIN = new Set(builtinModules);

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else if (/\.(ts|mjs|js)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

export function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`; undefined for relative paths and builtins. */
function packageOf(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:') || BUILTIN.has(spec)) return undefined;
  const parts = spec.split('/');
  return spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

export interface Problem {
  package: string;
  problem: string;
}

/** Files whose imports must be runtime dependencies. */
function productionFiles(dir: string): string[] {
  const testing = join(dir, 'src', 'testing') + sep;
  return [...files(join(dir, 'src')), ...files(join(dir, 'bin')), ...files(join(dir, 'scripts'))].filter(
    (f) => !f.startsWith(testing),
  );
}

function dependencyProblems(dir: string, m: Manifest): Problem[] {
  const out: Problem[] = [];
  const deps = new Set(Object.keys(m.dependencies ?? {}));
  const dev = new Set(Object.keys(m.devDependencies ?? {}));
  const used = new Map<string, string>();
  for (const f of productionFiles(dir))
    for (const spec of importsOf(f)) {
      const pkg = packageOf(spec);
      if (pkg && pkg !== m.name && !used.has(pkg)) used.set(pkg, relative(dir, f));
    }
  // Build-time scripts (the sidecar bundler) run where devDependencies are installed (the image's build stage).
  for (const [pkg, file] of used)
    if (!deps.has(pkg) && !(file.startsWith(`scripts${sep}`) && dev.has(pkg)))
      out.push({ package: m.name, problem: `${file} imports ${pkg}, which is not a dependency` });
  for (const pkg of deps)
    if (!used.has(pkg) && !pkg.startsWith('@types/'))
      out.push({ package: m.name, problem: `dependency ${pkg} is not imported by production code (devDependency?)` });
  const rest = [...files(join(dir, 'test')), ...files(join(dir, 'bench')), ...files(join(dir, 'src', 'testing'))];
  for (const f of rest)
    for (const spec of importsOf(f)) {
      const pkg = packageOf(spec);
      if (pkg && pkg !== m.name && !deps.has(pkg) && !dev.has(pkg) && !rootDev.has(pkg))
        out.push({ package: m.name, problem: `${relative(dir, f)} imports ${pkg}, declared nowhere` });
    }
  return out;
}

let rootDev = new Set<string>();

function entryProblems(dir: string, m: Manifest): Problem[] {
  const main = m.exports?.['.'];
  if (!main) return [];
  const out: Problem[] = [];
  for (const spec of importsOf(join(dir, main)))
    if (/(^|\/)testing(\/|\.ts$)/.test(spec))
      out.push({ package: m.name, problem: `main entry ${main} re-exports the test harness ${spec} (use ./testing)` });
  return out;
}

/** Relative imports that leave their package (or the test/ workspace) for another one's files. */
function crossingProblems(root: string, dirs: string[]): Problem[] {
  const out: Problem[] = [];
  for (const dir of dirs) {
    const name = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest).name;
    for (const f of files(dir))
      for (const spec of importsOf(f)) {
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(f), spec);
        // Only other packages' files count: deploy/ and scripts/ hold no package (their generators are tested).
        const inPackage = dirs.some((d) => target.startsWith(d + sep));
        if (inPackage && !target.startsWith(dir + sep))
          out.push({
            package: name,
            problem: `${relative(root, f)} imports ${spec} across packages (use the package name)`,
          });
      }
  }
  return out;
}

export function boundaryProblems(root: string): Problem[] {
  rootDev = new Set(
    Object.keys((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest).devDependencies ?? {}),
  );
  const dirs = readdirSync(join(root, 'packages'))
    .map((n) => join(root, 'packages', n))
    .filter((d) => existsSync(join(d, 'package.json')));
  const out: Problem[] = [];
  for (const dir of dirs) {
    const m = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
    out.push(...dependencyProblems(dir, m), ...entryProblems(dir, m));
  }
  out.push(...crossingProblems(root, [...dirs, join(root, 'test')]));
  return out;
}

if (import.meta.main) {
  const problems = boundaryProblems(join(import.meta.dirname, '..'));
  for (const p of problems) process.stdout.write(`${p.package}: ${p.problem}\n`);
  process.exitCode = problems.length > 0 ? 1 : 0;
}
