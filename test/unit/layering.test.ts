/**
 * The dependency rules of src/ (README, "Development"), checked on every import of every source file:
 * the extension talks to the rest only through src/protocol; the engine and the model code
 * never import `vscode`, the LSP libraries, the server, the extension or the CLI; the server
 * never imports the extension or the CLI; the protocol imports engine and model code for types
 * only (`import type`), so the client bundle carries none of it.
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const SRC = resolve(__dirname, '../../src');

interface Import {
  file: string;
  specifier: string;
  typeOnly: boolean;
  /** For relative imports: the top folder of src/ it lands in (engine, model, ...). */
  layer?: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  // import ... from '...'; export ... from '...'; import('...'); require('...')
  const patterns = [/^\s*(import|export)\s+(type\s+)?[^'";]*?\sfrom\s+'([^']+)'/gm, /^\s*import\s+'([^']+)'/gm, /\b(?:import|require)\(\s*'([^']+)'\s*\)/g];
  for (const match of text.matchAll(patterns[0])) found.push({ file, specifier: match[3], typeOnly: match[2] !== undefined });
  for (const match of text.matchAll(patterns[1])) found.push({ file, specifier: match[1], typeOnly: false });
  for (const match of text.matchAll(patterns[2])) found.push({ file, specifier: match[1], typeOnly: false });
  for (const entry of found) {
    if (entry.specifier.startsWith('.')) entry.layer = relative(SRC, resolve(dirname(file), entry.specifier)).split(/[\\/]/)[0];
  }
  return found;
}

const layerOf = (file: string) => relative(SRC, file).split(/[\\/]/)[0];
const all = sourceFiles(SRC).flatMap(importsOf);
const describe = (i: Import) => `${relative(SRC, i.file)} imports '${i.specifier}'${i.typeOnly ? ' (type)' : ''}`;
const from = (layer: string) => all.filter((i) => layerOf(i.file) === layer);
const LSP_OR_VSCODE = /^(vscode|vscode-languageclient|vscode-languageserver)(\/|$)/;

test('the import scan sees the code base (a guard against a scanner that finds nothing)', () => {
  assert.ok(all.length > 300, `only ${all.length} imports found`);
  assert.ok(from('extension').some((i) => i.specifier === 'vscode'));
  assert.ok(from('server').some((i) => i.layer === 'engine'));
});

test('src/extension imports only vscode, npm packages, itself and src/protocol', () => {
  const wrong = from('extension').filter((i) => i.layer !== undefined && i.layer !== 'extension' && i.layer !== 'protocol');
  assert.deepEqual(wrong.map(describe), []);
});

test('src/engine and src/model never import vscode, LSP, the server, the extension or the CLI', () => {
  const wrong = [...from('engine'), ...from('model')].filter(
    (i) => LSP_OR_VSCODE.test(i.specifier) || ['server', 'extension', 'cli'].includes(i.layer ?? ''),
  );
  assert.deepEqual(wrong.map(describe), []);
});

test('src/server never imports the extension, the CLI or vscode', () => {
  const wrong = from('server').filter((i) => i.specifier === 'vscode' || ['extension', 'cli'].includes(i.layer ?? ''));
  assert.deepEqual(wrong.map(describe), []);
});

test('src/protocol imports engine and model code for types only, and nothing of vscode, the server or the extension', () => {
  const wrong = from('protocol').filter(
    (i) =>
      i.specifier === 'vscode' ||
      ['server', 'extension', 'cli'].includes(i.layer ?? '') ||
      (['engine', 'model'].includes(i.layer ?? '') && !i.typeOnly),
  );
  assert.deepEqual(wrong.map(describe), []);
});
