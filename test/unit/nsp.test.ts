/**
 * Tests of next-sentence prediction on the tiny-bert fixture (random weights, so only
 * invariants are checked): P(IsNext) against a float64 softmax of the raw `nsp_logits`, label 0
 * = IsNext, batched = unbatched in input order, longest-first truncation of long pairs, errors,
 * and a model without an NSP head (compiled from the sequence-classifier checkpoint fixture).
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  isNextProbability,
  nextSentenceProbabilities,
  nextSentenceProbability,
  nextSentenceSettled,
  type SentencePair,
} from '../../src/engine/nsp';
import { BertModel, disposeAllModels, loadModel } from '../../src/engine/session';
import { compileCheckpoint } from '../../src/model/compile';

const ROOT = resolve(__dirname, '../..');
const FIXTURE_DIR = join(ROOT, 'test', 'fixtures', 'tiny-bert');

const PAIRS: SentencePair[] = [
  ['The cat sat on the mat.', 'It fell asleep in the sun.'],
  ['a', 'b'],
  ['Stock prices rose sharply on Monday after the report was published.', 'Penguins cannot fly.'],
  ['x y z', 'hello there, general kenobi, how are you doing this fine morning?'],
  ['One.', 'Two.'],
  ['Rain is forecast for the whole week across the north of the country.', 'Bring an umbrella.'],
];

/** softmax(logits)[0] in float64, written independently of the engine's formula. */
function referenceIsNext(logits: Float32Array): number {
  const [l0, l1] = [Number(logits[0]), Number(logits[1])];
  const max = Math.max(l0, l1);
  const e0 = Math.exp(l0 - max);
  const e1 = Math.exp(l1 - max);
  return e0 / (e0 + e1);
}

let model: BertModel;
before(async () => {
  model = await loadModel(FIXTURE_DIR, { executionProvider: 'cpu' });
});
after(() => disposeAllModels());

describe('isNextProbability', () => {
  test('is the softmax of logit 0 and stays finite for huge logits', () => {
    assert.equal(isNextProbability(0, 0), 0.5);
    assert.ok(Math.abs(isNextProbability(2, 0) - Math.exp(2) / (Math.exp(2) + 1)) < 1e-15);
    assert.ok(Math.abs(isNextProbability(0, 2) - 1 / (1 + Math.exp(2))) < 1e-15);
    assert.equal(isNextProbability(1000, -1000), 1);
    assert.equal(isNextProbability(-1000, 1000), 0);
    assert.throws(() => isNextProbability(NaN, 0), /not finite/);
    assert.throws(() => isNextProbability(Infinity, Infinity), /not finite/);
  });
});

describe('nextSentenceProbability on the fixture', () => {
  test('equals a float64 softmax of the raw nsp_logits, index 0 = IsNext', async () => {
    for (const [a, b] of PAIRS) {
      const result = await nextSentenceProbability(model, a, b);
      const encoded = await model.tokenizer.encode(a, b);
      const { outputs } = await model.run([encoded], { outputs: ['nsp_logits'] });
      assert.deepEqual(outputs.nsp_logits.dims, [1, 2]);
      const expected = referenceIsNext(outputs.nsp_logits.data);
      assert.ok(Math.abs(result.isNext - expected) < 1e-12, `${result.isNext} vs ${expected}`);
      assert.ok(result.isNext >= 0 && result.isNext <= 1);
      assert.equal(result.truncated, false);
      // Label 1 (random sentence) would give the complement; make sure we did not take it.
      if (Math.abs(expected - 0.5) > 1e-9) assert.ok(Math.abs(result.isNext - (1 - expected)) > 1e-9);
    }
  });

  test('the pair is encoded as [CLS] A [SEP] B [SEP] with segments 0 and 1', async () => {
    const encoded = await model.tokenizer.encode('first part', 'second part here');
    assert.equal(encoded.tokens[0], '[CLS]');
    assert.deepEqual(encoded.tokens.filter((t) => t === '[SEP]').length, 2);
    assert.deepEqual(encoded.typeIds, [0, 0, 0, 0, 1, 1, 1, 1]);
  });

  test('batched equals unbatched, in input order, for every batch size', async () => {
    const single = await Promise.all(PAIRS.map(([a, b]) => nextSentenceProbability(model, a, b)));
    // The fixture's random head gives close values: make sure they are far enough apart that
    // a mix-up of pairs would show at the tolerance used below.
    const values = single.map((r) => r.isNext).sort((x, y) => x - y);
    const closest = Math.min(...values.slice(1).map((v, i) => v - values[i]));
    assert.ok(closest > 1e-7, `pairs distinguishable (closest ${closest})`);
    for (const batchSize of [1, 2, 4, 16]) {
      const batched = await nextSentenceProbabilities(model, PAIRS, { batchSize });
      assert.equal(batched.length, PAIRS.length);
      batched.forEach((r, i) => assert.ok(Math.abs(r.isNext - single[i].isNext) < 1e-8, `batch ${batchSize}, pair ${i}: ${r.isNext} vs ${single[i].isNext}`));
    }
    const reversed = await nextSentenceProbabilities(model, [...PAIRS].reverse());
    reversed.reverse().forEach((r, i) => assert.ok(Math.abs(r.isNext - single[i].isNext) < 1e-8));
    // Swapping A and B is a different question.
    const [a, b] = PAIRS[0];
    assert.notEqual((await nextSentenceProbability(model, b, a)).isNext, single[0].isNext);
  });

  test('a 2,000-word pair is cut longest-first to 512 tokens, sets truncated, and still scores', async () => {
    const words = (n: number, word: string) => Array.from({ length: n }, (_, i) => `${word}${i % 10}`).join(' ');
    const longA = words(2000, 'alpha');
    const shortB = 'The short second sentence stays whole.';
    const shortTokens = (await model.tokenizer.encode(shortB)).ids.length - 2;
    const encoded = await model.tokenizer.encode(longA, shortB);
    assert.equal(encoded.ids.length, 512);
    assert.equal(encoded.truncated, true);
    assert.equal(encoded.sequenceIds.filter((s) => s === 1).length, shortTokens, 'B is kept whole, A is cut');

    const both = await model.tokenizer.encode(longA, words(1500, 'beta'));
    const lengthA = both.sequenceIds.filter((s) => s === 0).length;
    const lengthB = both.sequenceIds.filter((s) => s === 1).length;
    assert.equal(lengthA + lengthB, 509);
    assert.ok(Math.abs(lengthA - lengthB) <= 1, `two long texts are cut to equal lengths (${lengthA}, ${lengthB})`);

    const [cut, whole] = await nextSentenceProbabilities(model, [[longA, shortB], PAIRS[0]]);
    assert.equal(cut.truncated, true);
    assert.equal(whole.truncated, false);
    assert.ok(cut.isNext >= 0 && cut.isNext <= 1);
    const { outputs } = await model.run([encoded], { outputs: ['nsp_logits'] });
    assert.ok(Math.abs(cut.isNext - referenceIsNext(outputs.nsp_logits.data)) < 1e-8);
  });

  test('empty texts are refused per pair; a batch names the pair', async () => {
    await assert.rejects(nextSentenceProbability(model, '  ', 'b'), { message: 'text A is empty' });
    await assert.rejects(nextSentenceProbability(model, 'a', ''), { message: 'text B is empty' });
    await assert.rejects(nextSentenceProbabilities(model, [PAIRS[0], ['a', '\n']]), { message: 'Pair 2: text B is empty' });
    const settled = await nextSentenceSettled(model, [PAIRS[0], ['', 'b'], PAIRS[1]]);
    assert.equal(settled[0].ok && settled[2].ok, true);
    assert.deepEqual(settled[1], { ok: false, error: new Error('text A is empty') });
    assert.deepEqual(await nextSentenceProbabilities(model, []), []);
    await assert.rejects(nextSentenceProbabilities(model, PAIRS, { batchSize: 0 }), /batchSize must be a positive integer/);
  });
});

describe('a model without an NSP head', () => {
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'bert-lens-nsp-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('is refused with a message naming the missing head', async () => {
    const out = join(work, 'classifier');
    await compileCheckpoint(join(ROOT, 'test', 'fixtures', 'checkpoints', 'sequence-classifier'), out);
    const classifier = await loadModel(out, { executionProvider: 'cpu' });
    assert.equal(classifier.hasOutput('nsp_logits'), false);
    await assert.rejects(nextSentenceProbability(classifier, 'a', 'b'), /no next-sentence head \(cls\.seq_relationship\.\*\)/);
    await classifier.dispose();
  });
});
