/**
 * Tests of the coherence task on the tiny-bert fixture (random weights: invariants only):
 * boundaries within and across paragraphs, each equal to a single NSP call on the two
 * sentence texts, ranges that slice back to the sentences, the summary, Markdown input, the
 * sentence cap, and errors.
 */
import { strict as assert } from 'node:assert';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { coherence, TooFewSentencesError } from '../../src/engine/coherence';
import { nextSentenceProbability } from '../../src/engine/nsp';
import { BertModel, disposeAllModels, loadModel } from '../../src/engine/session';

const FIXTURE_DIR = join(resolve(__dirname, '../..'), 'test', 'fixtures', 'tiny-bert');

const TEXT = [
  'It rained all night. The streets were wet in the morning. People carried umbrellas.',
  '',
  'The stock market closed higher. Investors were pleased.',
  '',
  'A single sentence paragraph.',
].join('\n');

let model: BertModel;
before(async () => {
  model = await loadModel(FIXTURE_DIR, { executionProvider: 'cpu' });
});
after(() => disposeAllModels());

describe('coherence on the fixture', () => {
  test('scores consecutive sentences within paragraphs only, by default', async () => {
    const result = await coherence(model, TEXT, { locale: 'en' });
    assert.equal(result.sentences.length, 6);
    assert.equal(result.paragraphs.length, 3);
    assert.deepEqual(result.boundaries.map((b) => [b.from, b.to, b.paragraphBoundary]), [
      [0, 1, false],
      [1, 2, false],
      [3, 4, false],
    ]);
    for (const s of result.sentences) assert.equal(TEXT.slice(...s.range), s.text);
    assert.ok(result.latencyMs > 0);
    assert.equal(result.stoppedAt, undefined);
  });

  test('across paragraphs: every consecutive pair, paragraph boundaries flagged', async () => {
    const result = await coherence(model, TEXT, { locale: 'en', acrossParagraphs: true });
    assert.deepEqual(result.boundaries.map((b) => [b.from, b.to]), [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5]]);
    assert.deepEqual(result.boundaries.map((b) => b.paragraphBoundary), [false, false, true, false, true]);
    const within = await coherence(model, TEXT, { locale: 'en' });
    for (const b of within.boundaries) {
      const same = result.boundaries.find((c) => c.from === b.from)!;
      assert.ok(Math.abs(same.isNext - b.isNext) < 1e-8);
    }
  });

  test('each boundary equals one NSP call on its two sentences (batched = unbatched)', async () => {
    for (const batchSize of [1, 3, 16]) {
      const result = await coherence(model, TEXT, { locale: 'en', acrossParagraphs: true, batchSize });
      for (const b of result.boundaries) {
        const single = await nextSentenceProbability(model, result.sentences[b.from].text, result.sentences[b.to].text);
        assert.ok(Math.abs(b.isNext - single.isNext) < 1e-8, `batch ${batchSize}, ${b.from}→${b.to}`);
        assert.ok(b.isNext >= 0 && b.isNext <= 1);
        assert.equal(b.truncated, false);
      }
    }
  });

  test('the summary: mean, min and the weakest boundary', async () => {
    const result = await coherence(model, TEXT, { locale: 'en', acrossParagraphs: true });
    const values = result.boundaries.map((b) => b.isNext);
    const { summary } = result;
    assert.equal(summary.count, 5);
    assert.ok(Math.abs(summary.mean! - values.reduce((s, v) => s + v, 0) / values.length) < 1e-15);
    assert.equal(summary.min, Math.min(...values));
    assert.equal(summary.weakest, result.boundaries[values.indexOf(summary.min!)]);
  });

  test('Markdown: code is skipped and the heading is its own paragraph', async () => {
    const md = '# Weather report\n\nIt rained. It poured.\n\n```\nnot(prose). at_all();\n```\n\nThe sun came out.';
    const result = await coherence(model, md, { locale: 'en', format: 'markdown', acrossParagraphs: true });
    assert.deepEqual(result.sentences.map((s) => s.text), ['Weather report', 'It rained.', 'It poured.', 'The sun came out.']);
    assert.deepEqual(result.boundaries.map((b) => b.paragraphBoundary), [true, false, true]);
    assert.equal(result.paragraphs[0].kind, 'heading');
  });

  test('over-long sentences are truncated per boundary and still scored', async () => {
    const long = `Long ${Array.from({ length: 2000 }, (_, i) => `word${i % 7}`).join(' ')}.`;
    const result = await coherence(model, `Short start. ${long} Short end.`, { locale: 'en' });
    assert.equal(result.sentences.length, 3);
    assert.deepEqual(result.boundaries.map((b) => b.truncated), [true, true]);
    assert.ok(result.boundaries.every((b) => b.isNext >= 0 && b.isNext <= 1));
  });

  test('maxSentences caps the work and reports where it stopped', async () => {
    const text = Array.from({ length: 50 }, (_, i) => `Sentence number ${i + 1} is here.`).join(' ');
    const result = await coherence(model, text, { locale: 'en', maxSentences: 10 });
    assert.equal(result.sentences.length, 10);
    assert.equal(result.boundaries.length, 9);
    assert.equal(result.stoppedAt, text.indexOf('Sentence number 11'));
  });

  test('paragraphs of one sentence each: no boundary within, a null summary', async () => {
    const result = await coherence(model, 'First alone.\n\nSecond alone.', { locale: 'en' });
    assert.deepEqual(result.boundaries, []);
    assert.deepEqual(result.summary, { count: 0, mean: null, min: null, weakest: null });
  });

  test('fewer than two sentences is a clear error', async () => {
    for (const [text, count] of [['', 0], ['   \n\n ', 0], ['Only one sentence here.', 1], ['```\ncode. only.\n```', 0]] as const) {
      await assert.rejects(coherence(model, text, { locale: 'en', format: 'markdown' }), (error: Error) => {
        assert.ok(error instanceof TooFewSentencesError);
        assert.equal(error.sentenceCount, count);
        assert.match(error.message, /needs at least two sentences/);
        return true;
      });
    }
  });
});
