// Lists the functions in packages/*/src longer than the house limit (issue #14: "no function over ~60 lines
// without a reason written next to it"). A reason is a `// long: <why>` comment directly above the function
// (or above the statement that declares it) or on its first line. Used by test/test/long-functions.test.ts;
// run by hand to see the list:  node scripts/long-functions.ts [--all]
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

export const MAX_LINES = 60;
const REASON = /\/\/\s*long:\s*\S/;

export interface LongFunction {
  /** Repository-relative path. */
  file: string;
  /** Name as written (`Class.method`, the variable an arrow function is assigned to), or `<anonymous>`. */
  name: string;
  line: number;
  lines: number;
  /** The `// long:` reason, when one is written next to it. */
  reason: string | undefined;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function nameOf(node: ts.Node): string {
  const own = (n: ts.Node): string | undefined => {
    const name = (n as { name?: ts.Node }).name;
    return name && (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name))
      ? name.text
      : undefined;
  };
  let name = own(node);
  if (name === undefined && (ts.isVariableDeclaration(node.parent) || ts.isPropertyAssignment(node.parent)))
    name = own(node.parent);
  if (name === undefined) return '<anonymous>';
  const cls = ts.isClassElement(node) ? node.parent : undefined;
  const clsName = cls && ts.isClassLike(cls) ? cls.name?.text : undefined;
  return clsName ? `${clsName}.${name}` : name;
}

/** Where a reason may be written: the comments before the declaring statement, and the function's first line. */
function reasonFor(node: ts.Node, sf: ts.SourceFile): string | undefined {
  const text = sf.getFullText();
  let holder: ts.Node = node;
  while (
    holder.parent &&
    (ts.isVariableDeclaration(holder.parent) ||
      ts.isVariableDeclarationList(holder.parent) ||
      ts.isVariableStatement(holder.parent) ||
      ts.isPropertyAssignment(holder.parent) ||
      ts.isPropertyDeclaration(holder.parent) ||
      ts.isExportAssignment(holder.parent))
  )
    holder = holder.parent;
  const places: string[] = [];
  for (const r of ts.getLeadingCommentRanges(text, holder.getFullStart()) ?? []) places.push(text.slice(r.pos, r.end));
  const start = node.getStart(sf);
  const firstLineEnd = text.indexOf('\n', start);
  places.push(text.slice(start, firstLineEnd === -1 ? undefined : firstLineEnd));
  for (const p of places) {
    const m = REASON.exec(p);
    if (m)
      return p
        .slice(m.index)
        .replace(/^\/\/\s*long:\s*/, '')
        .trim();
  }
  return undefined;
}

export function longFunctions(root: string, maxLines = MAX_LINES): LongFunction[] {
  const out: LongFunction[] = [];
  const pkgs = join(root, 'packages');
  for (const pkg of readdirSync(pkgs, { withFileTypes: true })) {
    if (!pkg.isDirectory()) continue;
    let files: string[];
    try {
      files = sourceFiles(join(pkgs, pkg.name, 'src'));
    } catch {
      continue;
    }
    for (const file of files) {
      const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node) => {
        if (ts.isFunctionLike(node) && (node as { body?: ts.Node }).body) {
          const first = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
          const last = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
          const lines = last - first + 1;
          if (lines > maxLines)
            out.push({
              file: relative(root, file),
              name: nameOf(node),
              line: first + 1,
              lines,
              reason: reasonFor(node, sf),
            });
        }
        ts.forEachChild(node, visit);
      };
      visit(sf);
    }
  }
  return out.sort((a, b) => b.lines - a.lines);
}

if (import.meta.main) {
  const all = process.argv.includes('--all');
  const root = join(import.meta.dirname, '..');
  for (const f of longFunctions(root)) {
    if (!all && f.reason) continue;
    process.stdout.write(`${f.lines}\t${f.file}:${f.line}\t${f.name}${f.reason ? `\t(long: ${f.reason})` : ''}\n`);
  }
}
