/**
 * Tests of the engine on the tiny-bert fixture (random weights, so its guesses are never
 * judged): model-folder validation, session loading and reuse, batched runs, and the
 * fill-mask task (ranges, probabilities checked against a float64 softmax of the raw logits,
 * ordering, top-k, batching, errors).
 */
import { strict as assert } from 'node:assert';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  fillMask,
  fillMaskBatch,
  fillMaskSettled,
  logSumExpOf,
  topKIndices,
  topPredictions,
} from '../../src/engine/fill-mask';
import { ModelFolderError, readModelFolder } from '../../src/engine/model-folder';
import { BertModel, disposeAllModels, loadModel } from '../../src/engine/session';

const FIXTURE_DIR = resolve(__dirname, '../..', 'test', 'fixtures', 'tiny-bert');
const VOCAB_SIZE = 30522;
const HIDDEN = 32;

after(() => disposeAllModels());

describe('top-k and softmax helpers', () => {
  test('topKIndices equals a full sort, ties broken by lower index', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 10;
    const values = Float32Array.from({ length: 5000 }, () => Math.round(random() * 4) / 4); // many ties
    const sorted = [...values.keys()].sort((a, b) => values[b] - values[a] || a - b);
    for (const k of [1, 5, 37, 5000, 6000]) assert.deepEqual(topKIndices(values, k), sorted.slice(0, k), `k=${k}`);
    assert.deepEqual(topKIndices(values, 0), []);
  });

  test('logSumExpOf is stable for large and very negative logits', () => {
    assert.ok(Math.abs(logSumExpOf([1000, 1000]) - (1000 + Math.log(2))) < 1e-9);
    assert.ok(Math.abs(logSumExpOf([-1000, -1000, -1000]) - (-1000 + Math.log(3))) < 1e-9);
    assert.throws(() => logSumExpOf([NaN, NaN]), /not finite/);
  });

  test('topPredictions gives softmax probabilities in (0, 1], sorted', () => {
    const logits = Float32Array.from([2, 1000, 999, -5]);
    const predictions = topPredictions(logits, 4, (id) => `t${id}`);
    assert.deepEqual(predictions.map((p) => p.id), [1, 2, 0, 3]);
    const e = Math.exp(-1);
    assert.ok(Math.abs(predictions[0].score - 1 / (1 + e)) < 1e-12);
    assert.ok(Math.abs(predictions[1].score - e / (1 + e)) < 1e-12);
    assert.ok(predictions.every((p) => p.score >= 0 && p.score <= 1));
    assert.equal(predictions[0].token, 't1');
  });
});

describe('model folders', () => {
  let dir: string;
  const copyFixture = (name: string, files = ['config.json', 'vocab.txt', 'model.onnx']) => {
    const target = join(dir, name);
    mkdirSync(target);
    for (const file of files) copyFileSync(join(FIXTURE_DIR, file), join(target, file));
    return target;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bert-lens-folders-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the fixture folder reads with its config', async () => {
    const folder = await readModelFolder(FIXTURE_DIR);
    assert.equal(folder.dir, FIXTURE_DIR);
    assert.equal(folder.config.vocabSize, VOCAB_SIZE);
    assert.equal(folder.config.hiddenSize, HIDDEN);
    assert.equal(folder.config.maxPositionEmbeddings, 512);
    assert.equal(folder.vocabLines, VOCAB_SIZE);
    assert.equal(folder.tokenizer.lowercase, true);
  });

  test('errors name the missing folder or file', async () => {
    const missing = join(dir, 'no-such-model');
    await assert.rejects(readModelFolder(missing), (e: Error) => e instanceof ModelFolderError && e.message === `Model folder not found: ${missing}`);
    const noOnnx = copyFixture('no-onnx', ['config.json', 'vocab.txt']);
    await assert.rejects(readModelFolder(noOnnx), { message: `Missing model file: ${join(noOnnx, 'model.onnx')}` });
    assert.equal((await readModelFolder(noOnnx, { requireOnnx: false })).vocabLines, VOCAB_SIZE);
    const noVocab = copyFixture('no-vocab', ['config.json', 'model.onnx']);
    await assert.rejects(readModelFolder(noVocab), { message: `Missing model file: ${join(noVocab, 'vocab.txt')}` });
    const noConfig = copyFixture('no-config', ['vocab.txt', 'model.onnx']);
    await assert.rejects(loadModel(noConfig), { message: `Missing model file: ${join(noConfig, 'config.json')}` });
  });

  test('a vocab_size padded past vocab.txt: the padding columns are left out, same ranking, probabilities renormalised over real tokens', async () => {
    // The fixture with its last 100 vocab.txt lines removed: 30,422 tokens, an embedding table of 30,522 rows.
    const padded = copyFixture('padded', ['config.json', 'model.onnx']);
    const lines = readFileSync(join(FIXTURE_DIR, 'vocab.txt'), 'utf8').split('\n').filter((l) => l !== '');
    writeFileSync(join(padded, 'vocab.txt'), `${lines.slice(0, -100).join('\n')}\n`);
    assert.equal((await readModelFolder(padded)).vocabLines, VOCAB_SIZE - 100);

    const text = 'the [MASK] sat on the mat .';
    const full = (await fillMask(await loadModel(FIXTURE_DIR, { executionProvider: 'cpu' }), text, { topK: 200 })).masks[0].predictions;
    const got = (await fillMask(await loadModel(padded, { executionProvider: 'cpu' }), text, { topK: 200 })).masks[0].predictions;
    assert.ok(got.every((p) => p.id < VOCAB_SIZE - 100), 'no prediction is a padding column');
    const kept = full.filter((p) => p.id < VOCAB_SIZE - 100);
    assert.deepEqual(got.slice(0, kept.length).map((p) => p.id), kept.map((p) => p.id), 'the same ranking over real tokens');
    const ratios = kept.map((p, i) => got[i].score / p.score);
    assert.ok(ratios.every((r) => r >= 1 && Math.abs(r - ratios[0]) < 1e-4 * ratios[0]), `one renormalising factor: ${ratios.slice(0, 3).join(', ')}`);
  });

  test('a vocab.txt longer than vocab_size, or a broken config.json, is refused', async () => {
    const wrongSize = copyFixture('wrong-size');
    writeFileSync(join(wrongSize, 'vocab.txt'), `${readFileSync(join(FIXTURE_DIR, 'vocab.txt'), 'utf8')}extra\n`);
    await assert.rejects(readModelFolder(wrongSize), {
      message: `${join(wrongSize, 'vocab.txt')} has 30523 tokens but ${join(wrongSize, 'config.json')} says vocab_size is 30522: ids past 30521 would have no embedding`,
    });
    const badJson = copyFixture('bad-json');
    writeFileSync(join(badJson, 'config.json'), '{"vocab_size": ');
    await assert.rejects(readModelFolder(badJson), (e: Error) => e.message.startsWith(`Invalid JSON in ${join(badJson, 'config.json')}`));
    const noVocabSize = copyFixture('no-vocab-size');
    writeFileSync(join(noVocabSize, 'config.json'), JSON.stringify({ hidden_size: 32, num_attention_heads: 2 }));
    await assert.rejects(readModelFolder(noVocabSize), (e: Error) => e.message.includes(join(noVocabSize, 'config.json')) && /vocab_size/.test(e.message));
  });
});

describe('loadModel', () => {
  test('one model per folder: relative and absolute paths and concurrent loads share it', async () => {
    const first = loadModel(FIXTURE_DIR, { executionProvider: 'cpu' });
    const concurrent = loadModel(relative(process.cwd(), FIXTURE_DIR), { executionProvider: 'cpu' });
    assert.equal(first, concurrent, 'the same promise');
    const model = await first;
    assert.ok(model instanceof BertModel);
    assert.equal(await loadModel(FIXTURE_DIR + '/', { executionProvider: 'cpu' }), model);
    assert.equal(model.executionProvider, 'cpu');
    assert.equal(model.fallbackReason, undefined);
    assert.ok(model.loadMs > 0);
  });

  test("'auto' runs on WebGPU or says why it fell back to CPU", async () => {
    const model = await loadModel(FIXTURE_DIR, { executionProvider: 'auto' });
    assert.ok(['cpu', 'webgpu'].includes(model.executionProvider));
    if (model.executionProvider === 'cpu') {
      assert.match(model.fallbackReason ?? '', /webgpu/i);
    } else {
      assert.equal(model.fallbackReason, undefined);
    }
    const result = await fillMask(model, 'a [MASK] b');
    assert.equal(result.masks.length, 1);
  });

  test('a disposed model refuses to run and the next load makes a new one', async () => {
    const model = await loadModel(FIXTURE_DIR, { executionProvider: 'cpu', intraOpNumThreads: 1 });
    const encoded = await model.tokenizer.encode('hello [MASK]');
    await model.dispose();
    assert.equal(model.isDisposed, true);
    await assert.rejects(model.run([encoded], { outputs: ['nsp_logits'] }), /has been disposed/);
    const again = await loadModel(FIXTURE_DIR, { executionProvider: 'cpu', intraOpNumThreads: 1 });
    assert.notEqual(again, model);
    await again.dispose();
  });

  test('run fetches only the requested outputs, with the contract shapes', async () => {
    const model = await loadModel(FIXTURE_DIR, { executionProvider: 'cpu' });
    const inputs = await model.tokenizer.encodeBatch(['one [MASK] two', 'a longer text with [MASK] and [MASK] in it']);
    const seq = Math.max(...inputs.map((i) => i.ids.length));
    const { outputs, seqLength, numPositions } = await model.run(inputs, {
      outputs: ['mlm_logits', 'nsp_logits', 'pooled_output', 'sequence_output'],
      mlmPositions: [[2], [5, 7]],
    });
    assert.equal(seqLength, seq);
    assert.equal(numPositions, 2);
    assert.deepEqual(outputs.mlm_logits.dims, [2, 2, VOCAB_SIZE]);
    assert.deepEqual(outputs.nsp_logits.dims, [2, 2]);
    assert.deepEqual(outputs.pooled_output.dims, [2, HIDDEN]);
    assert.deepEqual(outputs.sequence_output.dims, [2, seq, HIDDEN]);
    assert.equal(outputs.mlm_logits.data.length, 2 * 2 * VOCAB_SIZE);

    const only = await model.run(inputs, { outputs: ['nsp_logits'] });
    assert.deepEqual(Object.keys(only.outputs), ['nsp_logits']);
    await assert.rejects(model.run(inputs, { outputs: ['mlm_logits'] }), /needs mlmPositions/);
    await assert.rejects(model.run(inputs, { outputs: ['mlm_logits'], mlmPositions: [[99], [1]] }), /outside input 0/);
  });
});

describe('fillMask', () => {
  let model: BertModel;
  before(async () => {
    model = await loadModel(FIXTURE_DIR, { executionProvider: 'cpu' });
  });

  test('one entry per [MASK] in textual order, ranges on the [MASK] text', async () => {
    const text = 'Café 😀 [MASK] is [MASK], said 北京 [MASK].';
    const result = await fillMask(model, text);
    assert.equal(result.masks.length, 3);
    let previous = -1;
    for (const mask of result.masks) {
      assert.equal(text.slice(...mask.range), '[MASK]');
      assert.ok(mask.range[0] > previous);
      previous = mask.range[0];
    }
    assert.equal(result.truncated, false);
    assert.ok(result.latencyMs > 0);
  });

  test('scores are the softmax of the raw logits over the whole vocabulary, sorted, top-k honoured', async () => {
    const text = 'The capital of France is [MASK].';
    const result = await fillMask(model, text, { topK: 7 });
    const [mask] = result.masks;
    assert.equal(mask.predictions.length, 7);

    const encoded = await model.tokenizer.encode(text);
    const position = encoded.ids.indexOf(103);
    const { outputs } = await model.run([encoded], { outputs: ['mlm_logits'], mlmPositions: [[position]] });
    const logits = Array.from(outputs.mlm_logits.data, Number);
    const max = Math.max(...logits);
    const sum = logits.reduce((s, x) => s + Math.exp(x - max), 0);
    const expected = logits
      .map((x, id) => ({ id, score: Math.exp(x - max) / sum }))
      .sort((a, b) => b.score - a.score || a.id - b.id)
      .slice(0, 7);
    assert.deepEqual(mask.predictions.map((p) => p.id), expected.map((p) => p.id));
    mask.predictions.forEach((p, i) => {
      assert.ok(Math.abs(p.score - expected[i].score) <= 1e-9 + 1e-6 * expected[i].score, `score ${i}`);
      assert.ok(p.score > 0 && p.score <= 1);
      assert.equal(p.token, model.tokenizer.idToToken(p.id));
      if (i > 0) assert.ok(p.score <= mask.predictions[i - 1].score);
    });
  });

  test('all of the vocabulary sums to 1; topK is capped by the vocabulary size', async () => {
    const result = await fillMask(model, '[MASK]', { topK: 100_000 });
    const predictions = result.masks[0].predictions;
    assert.equal(predictions.length, VOCAB_SIZE);
    assert.equal(new Set(predictions.map((p) => p.id)).size, VOCAB_SIZE);
    const total = predictions.reduce((s, p) => s + p.score, 0);
    assert.ok(Math.abs(total - 1) < 1e-6, `sum ${total}`);
    const one = await fillMask(model, '[MASK]', { topK: 1 });
    assert.deepEqual(one.masks[0].predictions, predictions.slice(0, 1));
  });

  test('batching (with padding) gives the same predictions as one text at a time', async () => {
    const texts = [
      'a [MASK]',
      'The capital of France is [MASK], and the capital of Italy is [MASK].',
      'Emoji 😀 before the [MASK] here.',
      '[MASK] [MASK] [MASK] at the start of a somewhat longer sentence than the others.',
    ];
    const batched = await fillMaskBatch(model, texts, { topK: 3, batchSize: 3 });
    assert.equal(batched.length, texts.length);
    for (const [i, text] of texts.entries()) {
      const single = await fillMask(model, text, { topK: 3 });
      assert.equal(batched[i].masks.length, single.masks.length, `text ${i}`);
      batched[i].masks.forEach((mask, j) => {
        assert.deepEqual(mask.range, single.masks[j].range);
        assert.deepEqual(mask.predictions.map((p) => p.id), single.masks[j].predictions.map((p) => p.id), `text ${i} mask ${j}`);
        mask.predictions.forEach((p, k) => assert.ok(Math.abs(p.score - single.masks[j].predictions[k].score) < 1e-5 * p.score + 1e-9));
      });
    }
  });

  test('a long text is truncated; its masks before the limit still work', async () => {
    const text = `Start [MASK] ${new Array(1000).fill('word').join(' ')}`;
    const result = await fillMask(model, text);
    assert.equal(result.truncated, true);
    assert.equal(result.masks.length, 1);
    assert.deepEqual(result.masks[0].range, [6, 12]);
  });

  test('clear errors: empty text, no [MASK], a [MASK] past the limit, bad topK', async () => {
    await assert.rejects(fillMask(model, ''), { message: 'The text is empty' });
    await assert.rejects(fillMask(model, '  \n '), { message: 'The text is empty' });
    await assert.rejects(fillMask(model, 'nothing to fill'), { message: 'No [MASK] found in the text' });
    await assert.rejects(fillMask(model, 'lower [mask]'), /No \[MASK\] found in the text \(found "\[mask\]"/);
    const words = new Array(600).fill('word').join(' ');
    const late = `[MASK] ${words} [MASK]`;
    await assert.rejects(fillMask(model, late), {
      message: `The [MASK] at character ${late.lastIndexOf('[MASK]')} (mask 2 of 2) is beyond the model's limit of 512 tokens; shorten the text before it`,
    });
    await assert.rejects(fillMask(model, 'a [MASK]', { topK: 0 }), /topK must be a positive integer, got 0/);
    await assert.rejects(fillMask(model, 'a [MASK]', { topK: 2.5 }), /topK must be a positive integer/);
    await assert.rejects(fillMaskBatch(model, ['a [MASK]', 'none']), { message: 'Input 2: No [MASK] found in the text' });
  });

  test('fillMaskSettled reports bad texts in place and predicts the rest', async () => {
    const outcomes = await fillMaskSettled(model, ['one [MASK]', '', 'no mask', 'two [MASK] [MASK]']);
    assert.deepEqual(outcomes.map((o) => o.ok), [true, false, false, true]);
    assert.equal(outcomes[1].ok ? '' : outcomes[1].error.message, 'The text is empty');
    assert.equal(outcomes[2].ok ? '' : outcomes[2].error.message, 'No [MASK] found in the text');
    assert.equal(outcomes[3].ok ? outcomes[3].result.masks.length : 0, 2);
    assert.deepEqual(await fillMaskSettled(model, []), []);
  });
});
