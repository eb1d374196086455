/**
 * Tests of BertTokenizer (src/engine/tokenizer.ts) with the real bert-base-uncased vocabulary
 * of the tiny-bert fixture: ids, special tokens, UTF-16 offsets on ASCII / accented / CJK /
 * emoji text, truncation of long inputs and pairs, and settings read from a model folder.
 */
import { strict as assert } from 'node:assert';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BertTokenizer, codePointToUtf16 } from '../../src/engine/tokenizer';
import type { EncodedInput } from '../../src/engine/types';

const FIXTURE_DIR = resolve(__dirname, '../..', 'test', 'fixtures', 'tiny-bert');

/** Every non-special token's offsets, as the slices of the source text they point at. */
function slices(encoded: EncodedInput, texts: [string, string?]): string[] {
  return encoded.offsets.flatMap(([start, end], i) => {
    const sequence = encoded.sequenceIds[i];
    return sequence === null ? [] : [texts[sequence]!.slice(start, end)];
  });
}

describe('BertTokenizer', () => {
  let tokenizer: BertTokenizer;
  before(async () => {
    tokenizer = await BertTokenizer.fromFolder(FIXTURE_DIR);
  });

  test('encodes like bert-base-uncased', async () => {
    const encoded = await tokenizer.encode('The capital of France is [MASK].');
    assert.deepEqual(encoded.ids, [101, 1996, 3007, 1997, 2605, 2003, 103, 1012, 102]);
    assert.deepEqual(encoded.tokens, ['[CLS]', 'the', 'capital', 'of', 'france', 'is', '[MASK]', '.', '[SEP]']);
    assert.deepEqual(encoded.typeIds, new Array(9).fill(0));
    assert.deepEqual(encoded.attentionMask, new Array(9).fill(1));
    assert.deepEqual(encoded.sequenceIds, [null, 0, 0, 0, 0, 0, 0, 0, null]);
    assert.deepEqual(encoded.wordIds, [null, 0, 1, 2, 3, 4, 5, 6, null]);
    assert.equal(encoded.truncated, false);
    assert.equal(tokenizer.vocabSize, 30522);
    assert.equal(tokenizer.maxLength, 512);
    assert.deepEqual(tokenizer.specialIds, { unk: 100, cls: 101, sep: 102, pad: 0, mask: 103 });
  });

  test('[MASK] stays one token wherever it is; [mask] is plain text', async () => {
    const glued = await tokenizer.encode('x[MASK]y [MASK][MASK]');
    assert.deepEqual(glued.tokens, ['[CLS]', 'x', '[MASK]', 'y', '[MASK]', '[MASK]', '[SEP]']);
    assert.deepEqual(glued.ids.filter((id) => id === 103).length, 3);
    const lower = await tokenizer.encode('a [mask] b');
    assert.deepEqual(lower.tokens, ['[CLS]', 'a', '[', 'mask', ']', 'b', '[SEP]']);
  });

  test('word pieces share a word id and their offsets cover the word', async () => {
    const text = 'Tokenization unbelievably';
    const encoded = await tokenizer.encode(text);
    assert.ok(encoded.tokens.some((t) => t.startsWith('##')), `expected word pieces in ${encoded.tokens}`);
    assert.equal(slices(encoded, [text]).join(''), 'Tokenizationunbelievably');
    const firstWord = encoded.tokens.filter((_, i) => encoded.wordIds[i] === 0);
    assert.equal(firstWord.map((t) => t.replace(/^##/, '')).join(''), 'tokenization');
  });

  test('ASCII offsets point at the original characters', async () => {
    const text = 'Hello, World!  Spaces\tand\nlines.';
    const encoded = await tokenizer.encode(text);
    assert.deepEqual(slices(encoded, [text]), ['Hello', ',', 'World', '!', 'Spaces', 'and', 'lines', '.']);
    assert.deepEqual(encoded.tokens.slice(1, -1), ['hello', ',', 'world', '!', 'spaces', 'and', 'lines', '.']);
  });

  test('accented Latin is lowercased and stripped, offsets still on the original text', async () => {
    const text = 'Café naïve';
    const encoded = await tokenizer.encode(text);
    assert.deepEqual(encoded.tokens, ['[CLS]', 'cafe', 'naive', '[SEP]']);
    assert.deepEqual(slices(encoded, [text]), ['Café', 'naïve']);
    // e + combining acute accent: the stripped accent stays inside the word's range.
    const decomposed = 'Cafe\u0301 ok';
    const encodedDecomposed = await tokenizer.encode(decomposed);
    assert.deepEqual(encodedDecomposed.tokens, ['[CLS]', 'cafe', 'ok', '[SEP]']);
    assert.deepEqual(slices(encodedDecomposed, [decomposed]), ['Cafe\u0301', 'ok']);
  });

  test('CJK characters are one token each', async () => {
    const text = '我在北京';
    const encoded = await tokenizer.encode(text);
    assert.equal(encoded.ids.length, 2 + 4);
    assert.deepEqual(slices(encoded, [text]), ['我', '在', '北', '京']);
    assert.deepEqual(encoded.offsets.slice(1, -1), [[0, 1], [1, 2], [2, 3], [3, 4]]);
  });

  test('offsets after emoji are UTF-16 code units', async () => {
    const text = 'I 😀 you 👨‍👩‍👧 [MASK]!';
    const encoded = await tokenizer.encode(text);
    assert.deepEqual(encoded.tokens, ['[CLS]', 'i', '[UNK]', 'you', '[UNK]', '[MASK]', '!', '[SEP]']);
    assert.deepEqual(slices(encoded, [text]), ['I', '😀', 'you', '👨‍👩‍👧', '[MASK]', '!']);
    assert.deepEqual(encoded.offsets[2], [2, 4]);
    assert.deepEqual(encoded.offsets[5], [text.indexOf('[MASK]'), text.indexOf('[MASK]') + 6]);
  });

  test('codePointToUtf16 counts astral characters as two units and lone surrogates as one', () => {
    const convert = codePointToUtf16('a😀b\uD800c');
    assert.deepEqual([0, 1, 2, 3, 4, 5].map(convert), [0, 1, 3, 4, 5, 6]);
    const identity = codePointToUtf16('plain');
    assert.equal(identity(4), 4);
  });

  test('a lone surrogate does not shift later offsets', async () => {
    const text = 'a\uD800b capital';
    const encoded = await tokenizer.encode(text);
    assert.equal(slices(encoded, [text]).at(-1), 'capital');
  });

  test('a 10,000-word text is cut to 512 tokens ending with [SEP]', async () => {
    const text = Array.from({ length: 10_000 }, (_, i) => (i % 2 ? 'capital' : 'France')).join(' ');
    const encoded = await tokenizer.encode(text);
    assert.equal(encoded.ids.length, 512);
    assert.equal(encoded.truncated, true);
    assert.equal(encoded.ids[0], 101);
    assert.equal(encoded.ids[511], 102);
    assert.equal(encoded.tokens[511], '[SEP]');
    assert.equal(encoded.attentionMask.length, 512);
    const kept = slices(encoded, [text]);
    assert.equal(kept.length, 510);
    assert.deepEqual(kept.slice(0, 3), ['France', 'capital', 'France']);
    assert.equal(encoded.offsets[510][1], text.split(' ').slice(0, 510).join(' ').length, 'the last kept word ends where it does in the text');
  });

  test('truncation starts exactly past 510 words', async () => {
    const words = (n: number) => new Array(n).fill('the').join(' ');
    const fits = await tokenizer.encode(words(510));
    assert.equal(fits.ids.length, 512);
    assert.equal(fits.truncated, false);
    const cut = await tokenizer.encode(words(511));
    assert.equal(cut.ids.length, 512);
    assert.equal(cut.truncated, true);
  });

  test('pairs get segment ids 0 / 1 and offsets into their own text', async () => {
    const a = 'Hello there.';
    const b = 'General 😀 Kenobi!';
    const encoded = await tokenizer.encode(a, b);
    const sepA = encoded.tokens.indexOf('[SEP]');
    assert.equal(encoded.tokens.at(-1), '[SEP]');
    assert.deepEqual(encoded.typeIds, encoded.tokens.map((_, i) => (i <= sepA ? 0 : 1)));
    assert.deepEqual(
      encoded.sequenceIds,
      encoded.tokens.map((_, i) => (i === 0 || i === sepA || i === encoded.tokens.length - 1 ? null : i < sepA ? 0 : 1)),
    );
    assert.deepEqual(slices(encoded, [a, b]), ['Hello', 'there', '.', 'General', '😀', 'Ken', 'ob', 'i', '!']);
    assert.deepEqual(encoded.tokens.slice(sepA + 1, -1), ['general', '[UNK]', 'ken', '##ob', '##i', '!']);
  });

  test('pairs are truncated longest-first', async () => {
    const a = 'one two three four five';
    const b = new Array(1000).fill('word').join(' ');
    const encoded = await tokenizer.encode(a, b);
    assert.equal(encoded.ids.length, 512);
    assert.equal(encoded.truncated, true);
    assert.equal(encoded.sequenceIds.filter((s) => s === 0).length, 5, 'the short text is kept whole');
    assert.equal(encoded.sequenceIds.filter((s) => s === 1).length, 512 - 3 - 5);
    const both = await tokenizer.encode(new Array(400).fill('a').join(' '), new Array(300).fill('b').join(' '));
    assert.equal(both.sequenceIds.filter((s) => s === 0).length, 255);
    assert.equal(both.sequenceIds.filter((s) => s === 1).length, 254);
  });

  test('encodeBatch and encodePairs agree with encode', async () => {
    const texts = ['The capital of France is [MASK].', 'Café 😀', ''];
    const batch = await tokenizer.encodeBatch(texts);
    assert.deepEqual(batch, await Promise.all(texts.map((t) => tokenizer.encode(t))));
    assert.deepEqual(batch[2].tokens, ['[CLS]', '[SEP]']);
    const pairs = await tokenizer.encodePairs([['a b', 'c']]);
    assert.deepEqual(pairs[0], await tokenizer.encode('a b', 'c'));
  });

  test('idToToken and tokenToId', () => {
    assert.equal(tokenizer.idToToken(1996), 'the');
    assert.equal(tokenizer.tokenToId('##s'), 2015);
    assert.equal(tokenizer.tokenToId('not-a-token'), undefined);
    assert.throws(() => tokenizer.idToToken(30522), /outside the vocabulary/);
  });
});

describe('BertTokenizer settings from the model folder', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bert-lens-tokenizer-'));
    copyFileSync(join(FIXTURE_DIR, 'vocab.txt'), join(dir, 'vocab.txt'));
    copyFileSync(join(FIXTURE_DIR, 'config.json'), join(dir, 'config.json'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('do_lower_case false keeps case (and accents); model_max_length limits the length', async () => {
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: false, model_max_length: 16 }));
    const cased = await BertTokenizer.fromFolder(dir);
    assert.equal(cased.lowercase, false);
    assert.equal(cased.maxLength, 16);
    const encoded = await cased.encode('the Paris [MASK] café');
    // The uncased vocabulary has no capital P nor é, so those words become [UNK].
    assert.deepEqual(encoded.tokens, ['[CLS]', 'the', '[UNK]', '[MASK]', '[UNK]', '[SEP]']);
    const long = await cased.encode(new Array(40).fill('the').join(' '));
    assert.equal(long.ids.length, 16);
    assert.equal(long.truncated, true);
  });

  test('a huge model_max_length sentinel falls back to max_position_embeddings', async () => {
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true, model_max_length: 1e30 }));
    const tokenizer = await BertTokenizer.fromFolder(dir);
    assert.equal(tokenizer.maxLength, 512);
    assert.equal(tokenizer.lowercase, true);
  });

  test('fromVocabFile names a missing file', async () => {
    await assert.rejects(BertTokenizer.fromVocabFile(join(dir, 'nope.txt')), /Vocabulary file not found: .*nope\.txt/);
  });

  test('a vocabulary without [CLS] is refused', async () => {
    const path = join(dir, 'small-vocab.txt');
    writeFileSync(path, '[PAD]\n[UNK]\n[SEP]\nhello\n');
    await assert.rejects(BertTokenizer.fromVocabFile(path), /has no \[CLS\] token/);
  });
});
