import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/**
 * The imports between the files of src/, for the architecture test: who imports whom, at run time or
 * for types only. Parsed with the TypeScript compiler, so comments and strings are never mistaken for
 * imports, and `import type` is told apart from a runtime import.
 */

export interface ImportEdge {
  /** Importing file, relative to src/ with `/` separators (`find/llama-embedder.ts`). */
  from: string;
  /** Imported file, relative to src/. */
  to: string;
  /** `import type`, `export type` or an import whose every name is a type: gone at run time. */
  typeOnly: boolean;
}

/** Test files and test-support folders: allowed to reach anywhere, never imported by product code. */
export function isTestCode(file: string): boolean {
  return file.endsWith('.test.ts') || file.split('/').includes('test-support');
}

/** The top-level unit of src/ a file belongs to: its first folder, or the file itself (`errors.ts`). */
export function topLevelOf(file: string): string {
  return file.split('/')[0]!;
}

function listTypeScript(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTypeScript(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The .ts file a relative specifier names (`./x.js` → `x.ts`, a folder → its index.ts), if any. */
function resolveSpecifier(fromFile: string, specifier: string): string | undefined {
  const base = resolve(dirname(fromFile), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => c.endsWith('.ts') && existsSync(c) && statSync(c).isFile());
}

/** Whether an import declaration brings in types only (`import type`, or `import { type A, type B }`). */
function importIsTypeOnly(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause) return false; // `import './side-effect.js'`
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  return bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0
    ? bindings.elements.every((e) => e.isTypeOnly)
    : false;
}

/** Relative module specifiers of one file, with whether each is type-only. */
function specifiersOf(file: string): { specifier: string; typeOnly: boolean }[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const found: { specifier: string; typeOnly: boolean }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: importIsTypeOnly(node) });
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      // `typeof import('./x.js')` in a type position.
      const literal = node.argument.literal;
      if (ts.isStringLiteral(literal)) found.push({ specifier: literal.text, typeOnly: true });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteral(arg)) found.push({ specifier: arg.text, typeOnly: false });
    } else if (
      // A child-process entry: `new URL('./engine-worker.js', import.meta.url)` runs that module.
      ts.isNewExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'URL' &&
      node.arguments?.length === 2 &&
      ts.isStringLiteral(node.arguments[0]!) &&
      node.arguments[1]!.getText(source) === 'import.meta.url'
    ) {
      found.push({ specifier: (node.arguments[0] as ts.StringLiteral).text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found.filter((f) => f.specifier.startsWith('.'));
}

/**
 * Every import between .ts files under `srcDir` (imports of packages and of files outside it are left
 * out).
 *
 * @example
 *   readImportGraph('src').filter((e) => e.from === 'find/llama-embedder.ts');
 */
export function readImportGraph(srcDir: string): ImportEdge[] {
  const root = resolve(srcDir);
  const rel = (path: string) => relative(root, path).split(sep).join('/');
  const edges: ImportEdge[] = [];
  for (const file of listTypeScript(root)) {
    for (const { specifier, typeOnly } of specifiersOf(file)) {
      const target = resolveSpecifier(file, specifier);
      if (target && !relative(root, target).startsWith('..')) {
        edges.push({ from: rel(file), to: rel(target), typeOnly });
      }
    }
  }
  return edges;
}

/**
 * The cycles of a directed graph: each strongly connected component of more than one node (Tarjan),
 * as the path that goes round it, first node repeated at the end. Self-loops are not cycles here.
 *
 * @example
 *   findCycles(new Map([['a', ['b']], ['b', ['a']], ['c', ['a']]])); // [['a', 'b', 'a']]
 */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let next = 0;
  const nodes = new Set([...graph.keys(), ...[...graph.values()].flat()]);

  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component);
    }
  };
  for (const v of [...nodes].sort()) if (!index.has(v)) connect(v);

  // Show each component as one walk round it: from its first node (by name), a shortest way back.
  return components.map((component) => {
    const members = new Set(component);
    const start = [...component].sort()[0]!;
    const previous = new Map<string, string>();
    const queue = [start];
    while (queue.length > 0) {
      const v = queue.shift()!;
      for (const w of [...(graph.get(v) ?? [])].sort()) {
        if (!members.has(w)) continue;
        if (w === start) {
          const path = [start];
          for (let u: string | undefined = v; u !== undefined && u !== start; u = previous.get(u))
            path.splice(1, 0, u);
          return [...path, start];
        }
        if (!previous.has(w)) {
          previous.set(w, v);
          queue.push(w);
        }
      }
    }
    return [...component, component[0]!]; // not reached: a component of two or more nodes has a cycle
  });
}
