// The import graph of the product sources (every .ts outside test/ and node_modules), read from the source
// text: static `import ... from '...'`, `export ... from '...'` and dynamic `import('...')` with a literal.
import fs from 'node:fs';
import path from 'node:path';

export interface ImportEdge {
  from: string;
  to: string;
  /** `import type` / `export type`: erased when the code runs, so it loads nothing and orders nothing. */
  typeOnly?: boolean;
}

const SKIP = new Set(['node_modules', 'test', 'dist', '.git', 'data', '.ci']);
const IMPORT =
  /(?:^|[;\s])(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

/** Repository-relative paths of the product .ts files. */
export function productFiles(root: string, dir = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (!SKIP.has(e.name)) out.push(...productFiles(root, rel));
    } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(rel);
  }
  return out.sort();
}

/** Imports as written: relative ones resolved to repository paths, packages and node: builtins as is. */
export function importsOf(root: string, file: string): ImportEdge[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const out: ImportEdge[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    const to = spec.startsWith('.')
      ? path.posix.normalize(path.posix.join(path.posix.dirname(file), spec))
      : spec;
    out.push({ from: file, to, typeOnly: /^[;\s]*(import|export)\s+type\s/.test(m[0]) });
  }
  return out;
}

export function importGraph(root: string): ImportEdge[] {
  return productFiles(root).flatMap((from) => importsOf(root, from));
}

/** Cycles between folders (each folder a node) through imports that run, as folder paths in order. */
export function folderCycles(edges: ImportEdge[]): string[][] {
  const folder = (f: string) => path.posix.dirname(f);
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    if (e.typeOnly || (!e.to.endsWith('.ts') && !e.to.endsWith('.js'))) continue;
    const a = folder(e.from);
    const b = folder(e.to);
    if (a === b) continue;
    if (!next.has(a)) next.set(a, new Set());
    next.get(a)!.add(b);
  }
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of next.get(n) ?? []) {
      if (state.get(m) === 'open') cycles.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of [...next.keys()].sort()) if (!state.has(n)) visit(n);
  return cycles;
}
