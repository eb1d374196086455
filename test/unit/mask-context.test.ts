// Unit tests of the server's pure helpers: finding the hovered [MASK], the context window
// sent to the model, Markdown rendering of a hover, input validation, model resolution.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { BUNDLED_MODELS, DEFAULT_MODEL, ModelNotFoundError, resolveModelFolder } from '../../src/model/bundled';
import { validateText } from '../../src/protocol/validate';
import { formatPercent } from '../../src/protocol/format';
import { renderPredictions } from '../../src/server/hover';
import { maskAt, maskContext } from '../../src/server/mask-context';

test('maskAt finds the [MASK] under any offset inside or at the edges of it', () => {
  const text = 'a [MASK] b [MASK]';
  for (const offset of [2, 5, 8]) assert.equal(maskAt(text, offset), 2);
  assert.equal(maskAt(text, 11), 11);
  assert.equal(maskAt(text, 17), 11);
  assert.equal(maskAt(text, 0), undefined);
  assert.equal(maskAt(text, 10), undefined);
  assert.equal(maskAt('[mask] lower case', 2), undefined);
});

test('maskContext keeps the paragraph that holds the mask and nothing else', () => {
  const text = 'First paragraph.\n\nThe [MASK] sat.\nSecond line.\n\nLast one.';
  const context = maskContext(text, text.indexOf('[MASK]'));
  assert.equal(context.text, 'The [MASK] sat.\nSecond line.');
  assert.equal(text.slice(context.start, context.start + context.text.length), context.text);
});

test('maskContext bounds a huge paragraph to a window around the mask, cut at spaces', () => {
  const words = Array.from({ length: 5000 }, (_, i) => `word${i}`);
  words[2500] = '[MASK]';
  const text = words.join(' ');
  const maskStart = text.indexOf('[MASK]');
  const context = maskContext(text, maskStart);
  assert.ok(context.text.length < 2000, `window is ${context.text.length} characters`);
  assert.ok(context.text.includes('[MASK]'));
  assert.equal(text.slice(context.start, context.start + context.text.length), context.text);
  assert.match(context.text, /^word\d+ /, 'starts at a word boundary');
  assert.match(context.text, / word\d+$/, 'ends at a word boundary');
});

test('maskContext never splits a surrogate pair in text without spaces', () => {
  const text = '😀'.repeat(1000) + '[MASK]' + '😀'.repeat(1000);
  const context = maskContext(text, text.indexOf('[MASK]'));
  const first = context.text.charCodeAt(0);
  const last = context.text.charCodeAt(context.text.length - 1);
  assert.ok(!(first >= 0xdc00 && first <= 0xdfff), 'does not start with a low surrogate');
  assert.ok(!(last >= 0xd800 && last <= 0xdbff), 'does not end with a high surrogate');
  assert.ok(context.text.includes('[MASK]'));
});

test('renderPredictions lists every prediction with a percentage and escapes table syntax', () => {
  const markdown = renderPredictions(
    { range: [0, 6], predictions: [{ token: 'cat', id: 4937, score: 0.5 }, { token: '|', id: 1064, score: 0.0123 }] },
    2,
    3,
    12.3,
  );
  assert.match(markdown, /`\[MASK\]` 2 of 3/);
  assert.match(markdown, /\| 1 \| `cat` \| 50\.0% \|/);
  assert.match(markdown, /\| 2 \| `\\\|` \| 1\.23% \|/);
  assert.equal(formatPercent(0.000123), '0.0123%');
  assert.equal(formatPercent(0.523), '52.3%');
});

test('validateText explains empty, missing and over-long text', () => {
  assert.equal(validateText('the [MASK]', 100), undefined);
  assert.match(validateText('   ', 100)!, /empty/);
  assert.match(validateText(undefined, 100)!, /No text/);
  assert.match(validateText('x'.repeat(1_000_001), 100_000)!, /1,000,001 characters.*100,000.*bertLens\.maxTextLength/);
});

test('resolveModelFolder: bundled names, folders, and clear errors', () => {
  const root = join(__dirname, '..', '..');
  assert.equal(resolveModelFolder('', root), join(root, BUNDLED_MODELS[DEFAULT_MODEL]));
  assert.equal(resolveModelFolder('tiny-random', root), join(root, 'test/fixtures/tiny-bert'));
  assert.equal(resolveModelFolder('test/fixtures', root, root), join(root, 'test/fixtures'));
  assert.throws(() => resolveModelFolder('/no/such/folder', root), (e: Error) => e instanceof ModelNotFoundError && /not found: \/no\/such\/folder/.test(e.message));
});
