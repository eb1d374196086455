/**
 * Tests of word probabilities / surprisal on the tiny-bert fixture (random weights: invariants
 * only): agreement with fill-mask, batching, the masked-every-k scan against one word at a time,
 * the per-sentence cache (counting model runs), long documents and unlikely words.
 */
import { strict as assert } from 'node:assert';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fillMask } from '../../src/engine/fill-mask';
import { BertModel, disposeAllModels, loadModel } from '../../src/engine/session';
import { SentenceScoreCache, scanDocument, unlikelyWords, wordProbabilities } from '../../src/engine/surprisal';
import { tokenKinds, TokenKind } from '../../src/engine/probabilities';

const FIXTURE_DIR = resolve(__dirname, '../..', 'test', 'fixtures', 'tiny-bert');
const VOCAB_SIZE = 30522;

after(() => disposeAllModels());

let model: BertModel;
let runs = 0;
before(async () => {
  // A separate session (own thread option) so that counting its runs sees only this file's work.
  model = await loadModel(FIXTURE_DIR, { executionProvider: 'cpu', intraOpNumThreads: 2 });
  const run = model.run.bind(model);
  model.run = ((inputs, options) => {
    runs++;
    return run(inputs, options);
  }) as BertModel['run'];
});

const close = (a: number, b: number, relative = 1e-5) => Math.abs(a - b) <= relative * Math.max(Math.abs(a), Math.abs(b)) + 1e-12;

const SENTENCE = 'The old lighthouse keeper rethinking his plans, walked to the harbour.';

function essay(sentences: number): string {
  const subjects = ['The river', 'A quiet model', 'Every house', 'The green light', 'Our team'];
  const verbs = ['runs past', 'reads', 'waits for', 'builds', 'remembers'];
  const objects = ['the stone bridge', 'a long letter', 'the morning train', 'old songs', 'the harbour'];
  return Array.from(
    { length: sentences },
    (_, i) => `${subjects[i % 5]} ${verbs[(i * 3) % 5]} ${objects[(i * 7) % 5]} and then ${verbs[(i + 2) % 5]} ${objects[(i * 2 + 1) % 5]}.`,
  ).join(' ');
}

describe('wordProbabilities', () => {
  test('every word, in order, with probability, surprisal in bits and rank', async () => {
    const result = await wordProbabilities(model, SENTENCE);
    assert.deepEqual(
      result.words.map((w) => w.text),
      ['The', 'old', 'lighthouse', 'keeper', 'rethinking', 'his', 'plans', ',', 'walked', 'to', 'the', 'harbour', '.'],
    );
    for (const word of result.words) {
      assert.equal(SENTENCE.slice(...word.range), word.text);
      assert.ok(word.probability > 0 && word.probability <= 1);
      assert.ok(close(word.surprisal, -Math.log2(word.probability), 1e-12));
      assert.equal(word.punctuation, !/[a-z]/i.test(word.text));
      if (word.pieces === 1) assert.ok(word.rank! >= 1 && word.rank! <= VOCAB_SIZE);
      else assert.equal(word.rank, undefined);
    }
    assert.equal(result.words.find((w) => w.text === 'rethinking')!.pieces, 4);
    assert.equal(result.sequences, result.words.reduce((n, w) => n + w.pieces, 0), 'one sequence per word and piece step');
    assert.ok(result.wordsPerSecond > 0);
  });

  test("a one-piece word's probability and rank are fill-mask's with that word masked", async () => {
    const { words } = await wordProbabilities(model, SENTENCE);
    const kinds = tokenKinds(model.tokenizer);
    for (const word of words.filter((w) => w.pieces === 1)) {
      const masked = SENTENCE.slice(0, word.range[0]) + '[MASK]' + SENTENCE.slice(word.range[1]);
      const predictions = (await fillMask(model, masked, { topK: VOCAB_SIZE })).masks[0].predictions;
      const id = model.tokenizer.tokenToId(word.text.toLowerCase())!;
      const index = predictions.findIndex((p) => p.id === id);
      assert.ok(close(word.probability, predictions[index].score), word.text);
      const allowed = (p: { id: number }) => kinds[p.id] === TokenKind.Word || (word.punctuation && kinds[p.id] === TokenKind.Punctuation);
      assert.equal(word.rank, predictions.slice(0, index).filter(allowed).length + 1, word.text);
    }
  });

  test('batched equals unbatched (|Δp| < 1e-5, relative)', async () => {
    const text = essay(6);
    const one = await wordProbabilities(model, text, { batchSize: 1 });
    const many = await wordProbabilities(model, text, { batchSize: 64 });
    assert.equal(one.words.length, many.words.length);
    assert.ok(one.runs > many.runs);
    one.words.forEach((w, i) => {
      assert.deepEqual(w.range, many.words[i].range);
      assert.ok(close(w.probability, many.words[i].probability), `${w.text}: ${w.probability} vs ${many.words[i].probability}`);
      assert.ok(Math.abs(w.probability - many.words[i].probability) < 1e-5);
    });
  });

  test('errors: empty text, bad options', async () => {
    await assert.rejects(wordProbabilities(model, '  '), { message: 'The text is empty' });
    await assert.rejects(wordProbabilities(model, 'a b', { batchSize: 0 }), /batchSize must be a positive integer/);
    await assert.rejects(scanDocument(model, 'a b', { maskEvery: 1 }), /maskEvery must be an integer ≥ 2/);
  });
});

describe('scanDocument', () => {
  test('with maskEvery = Infinity and one sentence it is wordProbabilities', async () => {
    const exact = await wordProbabilities(model, SENTENCE);
    const scan = await scanDocument(model, SENTENCE, { maskEvery: Infinity, cache: false });
    assert.equal(scan.sentences, 1);
    assert.deepEqual(scan.words.map((w) => w.range), exact.words.map((w) => w.range));
    scan.words.forEach((w, i) => assert.ok(close(w.probability, exact.words[i].probability)));
  });

  test('masking every k-th word: fewer runs, results close to one word at a time', async (t) => {
    const text = essay(40);
    const sentences = await scanDocument(model, text, { maskEvery: Infinity, cache: false });
    const scan = await scanDocument(model, text, { maskEvery: 4, cache: false });
    assert.equal(scan.words.length, sentences.words.length);
    assert.ok(scan.sequences * 2 < sentences.sequences, `${scan.sequences} vs ${sentences.sequences} sequences`);
    // Same words; probabilities differ by design (neighbours masked). Measure agreement.
    const a = sentences.words.map((w) => Math.log(w.probability));
    const b = scan.words.map((w) => Math.log(w.probability));
    const correlation = pearson(a, b);
    const meanAbs = a.reduce((s, x, i) => s + Math.abs(x - b[i]), 0) / a.length;
    t.diagnostic(`log-probability correlation ${correlation.toFixed(3)}, mean |Δ ln p| ${meanAbs.toFixed(3)}`);
    assert.ok(correlation > 0.5, `correlation ${correlation}`);
  });

  test('a scanned word has the probability fill-mask gives it with its class (every k-th word) masked', async () => {
    const text = 'The old keeper walked to the harbour.';
    const scan = await scanDocument(model, text, { maskEvery: 2, cache: false });
    const words = scan.words;
    assert.deepEqual(words.map((w) => w.text), ['The', 'old', 'keeper', 'walked', 'to', 'the', 'harbour', '.']);
    assert.ok(words.every((w) => w.pieces === 1));
    for (const parity of [0, 1]) {
      const masked = words.filter((_, i) => i % 2 === parity);
      let withMasks = '';
      let at = 0;
      for (const w of masked) {
        withMasks += text.slice(at, w.range[0]) + '[MASK]';
        at = w.range[1];
      }
      withMasks += text.slice(at);
      const predictions = (await fillMask(model, withMasks, { topK: VOCAB_SIZE })).masks;
      masked.forEach((w, j) => {
        const id = model.tokenizer.tokenToId(w.text.toLowerCase())!;
        assert.ok(close(w.probability, predictions[j].predictions.find((p) => p.id === id)!.score), `${w.text} in ${withMasks}`);
      });
    }
    // With k at least the number of words, the scan is one word at a time.
    const wide = await scanDocument(model, text, { maskEvery: 8, cache: false });
    const exact = await wordProbabilities(model, text);
    wide.words.forEach((w, i) => assert.ok(close(w.probability, exact.words[i].probability)));
  });

  test('the per-sentence cache: an unchanged document costs no run; an edit re-scores only its sentence', async () => {
    const cache = new SentenceScoreCache();
    const text = essay(8);
    runs = 0;
    const first = await scanDocument(model, text, { cache });
    const firstRuns = runs;
    assert.ok(firstRuns > 0);
    assert.equal(first.cachedSentences, 0);
    assert.equal(first.sentences, 8);

    runs = 0;
    const again = await scanDocument(model, text, { cache });
    assert.equal(runs, 0, 'no model run for an unchanged document');
    assert.equal(again.cachedSentences, 8);
    assert.deepEqual(again.words, first.words);

    // Edit sentence 2 (longer text), so every later sentence moves.
    const parts = text.split('. ');
    parts[1] = 'A completely different and much longer sentence stands here now';
    const edited = parts.join('. ');
    runs = 0;
    const third = await scanDocument(model, edited, { cache });
    assert.equal(third.cachedSentences, 7);
    const alone = await scanDocument(model, `${parts[1]}.`, { cache: false });
    assert.equal(third.sequences, alone.sequences, 'only the edited sentence was computed');
    const shift = parts[1].length - text.split('. ')[1].length;
    const moved = (w: { range: [number, number] }) => w.range[0] > edited.indexOf(parts[1]) + parts[1].length;
    const laterNew = third.words.filter(moved);
    const laterOld = first.words.slice(first.words.length - laterNew.length);
    laterNew.forEach((w, i) => {
      assert.deepEqual(w.range, [laterOld[i].range[0] + shift, laterOld[i].range[1] + shift]);
      assert.equal(w.probability, laterOld[i].probability);
      assert.equal(edited.slice(...w.range), w.text);
    });
    const editedWords = third.words.filter((w) => w.range[0] >= edited.indexOf(parts[1]) && !moved(w));
    alone.words.slice(0, -1).forEach((w, i) => assert.ok(close(w.probability, editedWords[i].probability)));
    assert.ok(cache.hits >= 15);
  });

  test('a long document: every word scored, in windows, with explicit sentence ranges', async () => {
    const words = Array.from({ length: 1200 }, (_, i) => ['river', 'stone', 'quietly', 'runs', 'light'][i % 5]);
    const text = words.join(' ');
    const result = await scanDocument(model, text, { sentences: [[0, text.length]], cache: false, window: 64 });
    assert.equal(result.words.length, 1200);
    result.words.forEach((w, i) => assert.equal(w.text, words[i]));
  });
});

describe('unlikelyWords', () => {
  test('the least probable words first, with whole-word alternatives; punctuation left out', async () => {
    const result = await unlikelyWords(model, SENTENCE, { threshold: 1, max: 4, topK: 3, maskEvery: Infinity, cache: false });
    assert.equal(result.words.length, 4);
    assert.equal(result.scannedWords, 13);
    const exact = await wordProbabilities(model, SENTENCE);
    const lowest = exact.words.filter((w) => !w.punctuation).sort((a, b) => a.probability - b.probability).slice(0, 4);
    assert.deepEqual(result.words.map((w) => w.text), lowest.map((w) => w.text));
    for (const word of result.words) {
      assert.ok(!word.punctuation);
      assert.equal(word.alternatives.length, 3);
      for (const alternative of word.alternatives) {
        assert.notEqual(alternative.text.toLowerCase(), word.text.toLowerCase());
        assert.ok(alternative.probability > 0 && alternative.probability <= 1);
      }
    }
    const none = await unlikelyWords(model, SENTENCE, { threshold: 1e-300, cache: false });
    assert.deepEqual(none.words, []);
    await assert.rejects(unlikelyWords(model, SENTENCE, { threshold: 0 }), /threshold must be in \(0, 1\]/);
  });
});

function pearson(a: number[], b: number[]): number {
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const ma = mean(a);
  const mb = mean(b);
  let num = 0;
  let da = 0;
  let db = 0;
  a.forEach((x, i) => {
    num += (x - ma) * (b[i] - mb);
    da += (x - ma) ** 2;
    db += (b[i] - mb) ** 2;
  });
  return num / Math.sqrt(da * db);
}
