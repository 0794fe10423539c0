import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  findCycles,
  isTestCode,
  readImportGraph,
  topLevelOf,
  type ImportEdge,
} from './test-support/import-graph.js';

/**
 * The architecture, checked: the top-level folders of src/ form layers, each importing only from layers
 * below it (or from itself), so there is no import cycle between folders; product code never imports
 * test code; and the shells in serve/ (CLI, HTTP) reach the library through the application layer.
 * Imports are counted wherever they appear in product code, `import type` included (a cycle of types is
 * still a cycle of ideas); test files and test-support folders may import anything.
 */

/**
 * The layers, lowest first. Folders on one line are peers and must not import each other: find and
 * understand share their plumbing through native/ and models/, not through each other. A new top-level
 * folder (or file) must be placed here.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts', 'text'], // error type; text analysis (search terms, CJK ranges)
  ['config'],
  ['native', 'models'], // llama.cpp addon and child-process host; model files (catalog, download, GGUF)
  ['read'], // documents to pages of text: intake, PDF, OCR
  ['store'], // the library's storage
  ['find', 'understand'], // search (BM25, embedder); the vision-language engines and tasks
  ['ingest'], // documents into the library
  ['eval'], // accuracy evaluations
  ['app'], // the use cases (createDocSight): what the shells call
  ['serve'], // CLI and HTTP
];

/** What serve/ may import at run time, besides itself. Type-only imports may reach any lower layer. */
const SERVE_MAY_IMPORT = new Set(['app', 'config', 'errors.ts', 'text']);

/**
 * Single files serve/ may import at run time from other folders. readLocalFile is the one way a path named
 * on this machine becomes bytes: the shells read the paths they are given and hand bytes to the app.
 */
const SERVE_MAY_IMPORT_FILES = new Set(['read/intake/read-local-file.ts']);

/**
 * serve/ files that still import the library directly, and from which folder: written before the
 * application layer (src/app) existed. Each goes when its command calls the app instead; the test
 * fails on an entry that is no longer needed, so the list only shrinks.
 */
const KNOWN_SERVE_EXCEPTIONS: readonly string[] = [
  'serve/cli/eval-command.ts → eval',
  'serve/cli/eval-retrieval-command.ts → eval',
  'serve/cli/eval-retrieval-command.ts → find',
  'serve/cli/eval-retrieval-command.ts → store',
  'serve/cli/ingest-command.ts → ingest',
  'serve/cli/model-files-command.ts → models',
  'serve/cli/models-command.ts → models',
];

const describeEdge = (e: ImportEdge) => `src/${e.from} imports src/${e.to}${e.typeOnly ? ' (types)' : ''}`;

/** Imports between different top-level folders, by product code. */
function crossFolderEdges(edges: readonly ImportEdge[]): ImportEdge[] {
  return edges.filter((e) => !isTestCode(e.from) && topLevelOf(e.from) !== topLevelOf(e.to));
}

/** Each cycle between top-level folders, with one import that makes each of its steps. */
function folderCycles(edges: readonly ImportEdge[]): string[] {
  const cross = crossFolderEdges(edges);
  const graph = new Map<string, string[]>();
  for (const e of cross) {
    const targets = graph.get(topLevelOf(e.from)) ?? [];
    if (!targets.includes(topLevelOf(e.to))) targets.push(topLevelOf(e.to));
    graph.set(topLevelOf(e.from), targets);
  }
  return findCycles(graph).map((cycle) => {
    const steps = cycle.slice(1).map((to, i) => {
      const from = cycle[i]!;
      const example = cross.find((e) => topLevelOf(e.from) === from && topLevelOf(e.to) === to)!;
      return `  ${from} → ${to}: ${describeEdge(example)}`;
    });
    return [`${cycle.join(' → ')}`, ...steps].join('\n');
  });
}

/** Imports that do not go down the layers (to a peer, or up), and folders the layers do not place. */
function layerViolations(edges: readonly ImportEdge[], layers: readonly (readonly string[])[]): string[] {
  const level = new Map(layers.flatMap((peers, i) => peers.map((folder) => [folder, i] as const)));
  const problems: string[] = [];
  for (const e of crossFolderEdges(edges)) {
    const [from, to] = [topLevelOf(e.from), topLevelOf(e.to)];
    if (isTestCode(e.to)) continue; // reported by testCodeImports
    const [a, b] = [level.get(from), level.get(to)];
    if (a === undefined || b === undefined) {
      problems.push(`${a === undefined ? from : to} is not in LAYERS: place it (${describeEdge(e)})`);
    } else if (b >= a) {
      problems.push(
        `${from} may not import ${to} (${b === a ? 'a peer' : 'a higher layer'}): ${describeEdge(e)}`,
      );
    }
  }
  return [...new Set(problems)];
}

/** Product code importing a test file or a test-support folder. */
function testCodeImports(edges: readonly ImportEdge[]): string[] {
  return edges.filter((e) => !isTestCode(e.from) && isTestCode(e.to)).map(describeEdge);
}

/** serve/ importing at run time what only the application layer should (minus known exceptions), and stale exceptions. */
function serveViolations(edges: readonly ImportEdge[], known: readonly string[]): string[] {
  const found = new Map<string, ImportEdge>();
  for (const e of crossFolderEdges(edges)) {
    if (topLevelOf(e.from) !== 'serve' || e.typeOnly) continue;
    if (SERVE_MAY_IMPORT.has(topLevelOf(e.to)) || SERVE_MAY_IMPORT_FILES.has(e.to)) continue;
    found.set(`${e.from} → ${topLevelOf(e.to)}`, e);
  }
  const problems = [...found]
    .filter(([key]) => !known.includes(key))
    .map(([, e]) => `serve/ must go through src/app: ${describeEdge(e)}`);
  for (const key of known) {
    if (!found.has(key)) problems.push(`'${key}' is no longer needed: remove it from KNOWN_SERVE_EXCEPTIONS`);
  }
  return problems;
}

describe('the import graph of src/', () => {
  const edges = readImportGraph(fileURLToPath(new URL('.', import.meta.url)));

  it('is read from the sources (a sanity check that the parser finds imports)', () => {
    expect(edges).toContainEqual({
      from: 'find/llama-embedder.ts',
      to: 'native/worker-process-client.ts',
      typeOnly: false,
    });
    expect(edges).toContainEqual({ from: 'find/llama-embedder.ts', to: 'find/embedder.ts', typeOnly: true });
  });

  it('has no cycle between top-level folders', () => {
    expect(folderCycles(edges), 'import cycles between folders of src/').toEqual([]);
  });

  it('goes down the layers only', () => {
    expect(layerViolations(edges, LAYERS), 'imports against the layer order (see LAYERS)').toEqual([]);
  });

  it('has no product code importing test code', () => {
    expect(testCodeImports(edges), 'product code importing tests or test-support').toEqual([]);
  });

  it('lets serve/ reach the library only through the application layer (known exceptions aside)', () => {
    expect(serveViolations(edges, KNOWN_SERVE_EXCEPTIONS), 'serve/ imports').toEqual([]);
  });
});

describe('the checks fail on a bad graph', () => {
  const edge = (from: string, to: string, typeOnly = false): ImportEdge => ({ from, to, typeOnly });

  it('findCycles finds each cycle once, as a walk round it', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
      ['x', ['y']],
      ['y', ['x']],
    ]);
    expect(findCycles(graph)).toEqual([
      ['a', 'b', 'c', 'a'],
      ['x', 'y', 'x'],
    ]);
    expect(
      findCycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
        ]),
      ),
    ).toEqual([]);
  });

  it('reports a folder cycle with the import behind each step, types included', () => {
    const cycles = folderCycles([
      edge('find/llama-embedder.ts', 'understand/engine/native-addon.ts'),
      edge('understand/images/question-crops.ts', 'find/search-terms.ts', true),
      edge('find/a.ts', 'find/b.ts'),
    ]);
    expect(cycles).toEqual([
      'find → understand → find\n' +
        '  find → understand: src/find/llama-embedder.ts imports src/understand/engine/native-addon.ts\n' +
        '  understand → find: src/understand/images/question-crops.ts imports src/find/search-terms.ts (types)',
    ]);
  });

  it('ignores cycles made by tests', () => {
    expect(folderCycles([edge('find/a.test.ts', 'store/b.ts'), edge('store/b.ts', 'find/c.ts')])).toEqual([]);
  });

  it('flags imports up the layers, between peers, and from unplaced folders', () => {
    const layers = [['text'], ['find', 'understand'], ['serve']];
    expect(
      layerViolations(
        [
          edge('find/x.ts', 'text/y.ts'),
          edge('text/y.ts', 'find/x.ts'),
          edge('find/x.ts', 'understand/z.ts'),
          edge('gadgets/g.ts', 'text/y.ts'),
        ],
        layers,
      ),
    ).toEqual([
      'text may not import find (a higher layer): src/text/y.ts imports src/find/x.ts',
      'find may not import understand (a peer): src/find/x.ts imports src/understand/z.ts',
      'gadgets is not in LAYERS: place it (src/gadgets/g.ts imports src/text/y.ts)',
    ]);
  });

  it('flags product code importing test-support, but not tests doing so', () => {
    expect(
      testCodeImports([
        edge('understand/engine/llama-engine.ts', 'understand/engine/test-support/test-models.ts'),
        edge('understand/engine/llama-engine.test.ts', 'understand/engine/test-support/test-models.ts'),
        edge('ingest/x.ts', 'test-support/temp-dir.ts', true),
      ]),
    ).toEqual([
      'src/understand/engine/llama-engine.ts imports src/understand/engine/test-support/test-models.ts',
      'src/ingest/x.ts imports src/test-support/temp-dir.ts (types)',
    ]);
  });

  it('flags serve/ importing the library at run time, and exceptions that are no longer needed', () => {
    const edges = [
      edge('serve/cli/search-command.ts', 'find/search-library.ts'),
      edge('serve/cli/ocr-command.ts', 'read/types.ts', true),
      edge('serve/cli/ocr-command.ts', 'app/ocr.ts'),
      edge('serve/cli/ocr-command.ts', 'text/cjk.ts'),
      edge('serve/cli/ocr-command.ts', 'read/intake/read-local-file.ts'),
    ];
    expect(serveViolations(edges, [])).toEqual([
      'serve/ must go through src/app: src/serve/cli/search-command.ts imports src/find/search-library.ts',
    ]);
    expect(serveViolations(edges, ['serve/cli/search-command.ts → find'])).toEqual([]);
    expect(
      serveViolations(edges, ['serve/cli/search-command.ts → find', 'serve/cli/ocr-command.ts → read']),
    ).toEqual([
      "'serve/cli/ocr-command.ts → read' is no longer needed: remove it from KNOWN_SERVE_EXCEPTIONS",
    ]);
  });
});
