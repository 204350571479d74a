/**
 * The layer rule of docs/architecture.md, kept: every relative import in src/ goes from
 * one row of the table to a row its "may import" cell names (or stays in its own row).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

/** Row name -> the rows it may import, from the table in docs/architecture.md. */
function allowedTable(markdown: string): Map<string, Set<string>> {
  const table = new Map<string, Set<string>>();
  for (const line of markdown.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    // | `folder` | what it is | `a`, `b` |  ->  ['', folder, what, may, '']
    if (cells.length !== 5 || !/^`[^`]+`$/.test(cells[1] ?? '')) continue;
    const names = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
    table.set(names(cells[1] ?? '')[0] ?? '', new Set(names(cells[3] ?? '')));
  }
  return table;
}

/** The table row of a path relative to src/ (posix separators). */
function rowOf(path: string): string {
  const slash = path.indexOf('/');
  if (slash >= 0) return `${path.slice(0, slash)}/`;
  return path === 'index.ts' ? 'index.ts' : 'src/*.ts';
}

interface Import {
  /** The importing file, relative to src/. */
  file: string;
  /** The imported module as written. */
  specifier: string;
}

const IMPORT = /\bfrom\s+'(\.{1,2}\/[^']+)'|\bimport\s*\(\s*'(\.{1,2}\/[^']+)'|^\s*import\s+'(\.{1,2}\/[^']+)'/gm;

function importsOf(file: string, text: string): Import[] {
  return [...text.matchAll(IMPORT)].map((m) => ({ file, specifier: m[1] ?? m[2] ?? m[3] ?? '' }));
}

function sourceImports(): Import[] {
  const found: Import[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) found.push(...importsOf(relative(SRC, path).split(sep).join('/'), readFileSync(path, 'utf8')));
    }
  };
  walk(SRC);
  return found;
}

/** One line per import outside the table. */
function violations(imports: Import[], table: Map<string, Set<string>>): string[] {
  const problems: string[] = [];
  for (const { file, specifier } of imports) {
    const from = rowOf(file);
    const target = posix.normalize(posix.join(posix.dirname(file), specifier));
    if (target.startsWith('../')) {
      problems.push(`${file}: imports ${specifier}, outside src/`);
      continue;
    }
    const to = rowOf(target);
    if (from === to) continue;
    const allowed = table.get(from);
    if (allowed === undefined) problems.push(`${file}: the folder ${from} has no row in docs/architecture.md`);
    else if (!allowed.has(to)) problems.push(`${file}: ${from} may not import ${to} (${specifier})`);
  }
  return problems;
}

const table = allowedTable(readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8'));

describe('layers (docs/architecture.md)', () => {
  it('reads a row for every folder of src/', () => {
    const rows = new Set(sourceImports().map((i) => rowOf(i.file)));
    expect([...rows].filter((row) => !table.has(row))).toEqual([]);
    expect(table.get('state/')).toEqual(new Set(['src/*.ts']));
  });

  it('finds no import in src/ outside the table', () => {
    const imports = sourceImports();
    expect(imports.length).toBeGreaterThan(500);
    expect(violations(imports, table)).toEqual([]);
  });

  it('fails on a back-edge', () => {
    const madeUp = [
      ...importsOf('state/types.ts', "import type { AssistantField } from '../manifest/types.js';"),
      ...importsOf('plan/planfile.ts', "import { renderJson } from '../render/index.js';"),
      ...importsOf('render/text.ts', "export { x } from '../plan/types.js';\nconst y = await import('../cli/run.js');"),
      ...importsOf('manifest/load.ts', "import '../export/export.js';"),
      ...importsOf('api/transport.ts', "import { thing } from './retry.js';"),
    ];
    expect(violations(madeUp, table)).toEqual([
      'state/types.ts: state/ may not import manifest/ (../manifest/types.js)',
      'plan/planfile.ts: plan/ may not import render/ (../render/index.js)',
      'render/text.ts: render/ may not import cli/ (../cli/run.js)',
      'manifest/load.ts: manifest/ may not import export/ (../export/export.js)',
    ]);
  });

  it('fails on a folder with no row', () => {
    expect(violations(importsOf('ownerless/a.ts', "import { UserError } from '../errors.js';"), table)).toEqual([
      'ownerless/a.ts: the folder ownerless/ has no row in docs/architecture.md',
    ]);
  });
});
