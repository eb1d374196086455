// `bertLens.comments.enabled` against the real server over stdio: in a TypeScript file, hovers
// inside comments give word alternatives and [MASK] predictions, code gets none, diagnostics
// (when enabled) land only in comments, and with the setting off a code file gets nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DidChangeConfigurationNotification, HoverRequest, type Hover } from 'vscode-languageserver-protocol/node';
import { startTestServer, type TestServer } from './server-harness';

let server: TestServer;

before(async () => {
  server = await startTestServer({ topK: 3, comments: { enabled: true }, diagnostics: { enabled: false } });
  await server.ready;
});

after(async () => {
  await server.stop();
});

const SOURCE = [
  '// The cat sat on the mat in the sun.', // line 0
  'const cat = compute(1); /* Birds sing a [MASK] song. */', // line 1
  '/**',
  ' * Returns the answer to the question.', // line 3
  ' */',
  'function answer() { return "cat and dog"; }', // line 5
  '',
].join('\n');

const hoverAt = (uri: string, line: number, character: number) =>
  server.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line, character } }) as Promise<Hover | null>;
const value = (hover: Hover | null) => (hover?.contents as { value: string } | undefined)?.value ?? '';

test('hover inside a TypeScript comment: alternatives for a word, predictions for [MASK]', async () => {
  const uri = 'file:///tmp/comments-on.ts';
  await server.open(uri, SOURCE, 'typescript');
  const word = await hoverAt(uri, 0, 8); // "cat" in the line comment
  assert.ok(word, 'a hover over "cat" in a // comment');
  assert.match(value(word), /`cat`: [\d.]+%, rank [\d,]+/);
  assert.equal(value(word).match(/^\| \d \| `[^`]+` \| [\d.]+% \|$/gm)?.length, 3, value(word));
  assert.deepEqual(word.range, { start: { line: 0, character: 7 }, end: { line: 0, character: 10 } });

  const doc = await hoverAt(uri, 3, 4); // "Returns" in the JSDoc block
  assert.match(value(doc), /`Returns`: [\d.]+%/);

  const maskColumn = SOURCE.split('\n')[1].indexOf('[MASK]') + 2;
  const mask = await hoverAt(uri, 1, maskColumn);
  assert.match(value(mask), /\*\*BERT Lens\*\* — `\[MASK\]`/);
  assert.equal(value(mask).match(/^\| \d \| `[^`]+` \| [\d.]+% \|$/gm)?.length, 3, value(mask));
});

test('hover on code gives nothing: identifiers, strings, keywords and comment markers', async () => {
  const uri = 'file:///tmp/comments-code.ts';
  await server.open(uri, SOURCE, 'typescript');
  for (const [line, character, what] of [
    [1, 7, 'the identifier cat'],
    [1, 13, 'a call'],
    [5, 2, 'a keyword'],
    [5, 30, 'a word inside a string literal'],
    [0, 1, 'the // marker'],
    [3, 1, 'the * leading a JSDoc line'],
  ] as const) {
    assert.equal(await hoverAt(uri, line, character), null, what);
  }
});

test('diagnostics, when enabled, fall only inside comments', async () => {
  const uri = 'file:///tmp/comments-diagnostics.py';
  const python = 'def score(cat):\n    """The cat sat on the mat. The dog ran in the park."""\n    return cat + 1  # Birds sing in the morning.\n';
  const settings = { comments: { enabled: true }, diagnostics: { enabled: true, unlikelyWordThreshold: 1, weakTransitionThreshold: 0, maxPerFile: 100, debounceMs: 0 } };
  await server.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { bertLens: settings } });
  const mark = server.published.length;
  await server.open(uri, python, 'python');
  const published = await server.diagnostics(uri, (p) => p.diagnostics.length > 0, mark);
  const lines = python.split('\n');
  const words = published.diagnostics.map((d) => lines[d.range.start.line].slice(d.range.start.character, d.range.end.character));
  // Threshold 1 flags every word the scan saw: exactly the comment words, none of the code.
  assert.ok(words.includes('sat') && words.includes('morning'), words.join(' '));
  for (const code of ['def', 'score', 'return']) assert.ok(!words.includes(code), `${code} is code: ${words.join(' ')}`);
  for (const d of published.diagnostics) assert.ok(d.range.start.line === 1 || (d.range.start.line === 2 && d.range.start.character > 18), JSON.stringify(d.range));
  await server.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { bertLens: { diagnostics: { enabled: false } } } });
});

test('with bertLens.comments.enabled off, a code file gets no hover, even in its comments', async () => {
  await server.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { bertLens: { comments: { enabled: false } } } });
  const uri = 'file:///tmp/comments-off.ts';
  await server.open(uri, SOURCE, 'typescript');
  assert.equal(await hoverAt(uri, 0, 8), null, 'a word in a comment');
  assert.equal(await hoverAt(uri, 1, SOURCE.split('\n')[1].indexOf('[MASK]') + 2), null, 'a [MASK] in a comment');
  assert.equal(await hoverAt(uri, 1, 7), null, 'code');
  // Markdown still works.
  const md = 'file:///tmp/comments-off.md';
  await server.open(md, 'The cat sat on the mat.');
  assert.ok(await hoverAt(md, 0, 5));
});
