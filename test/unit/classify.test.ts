/**
 * Features and classification on real models: pooling checked against the raw
 * `sequence_output` of single-text runs (so padding in batches changes nothing), progress and
 * cancellation, linear heads on the tiny fixture, 'layers-mean' features and heads on the tiny
 * checkpoint compiled with `layer_means` (the fixture's own model.onnx has none), and the
 * classifier compiled from the sequence-classifier checkpoint fixture against its PyTorch
 * probabilities (expected.json).
 */
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { classify, classifySettled, modelClassifier } from '../../src/engine/classify';
import { extractFeatures } from '../../src/engine/features';
import { applyLinearHead, modelIdentity, parseLinearHead, serializeLinearHead, type LinearHead } from '../../src/engine/linear-head';
import { disposeAllModels, loadModel, type BertModel } from '../../src/engine/session';
import { trainLinearHead } from '../../src/engine/train-head';
import { compileCheckpoint, IMPORT_COMPILE_OPTIONS } from '../../src/model/compile';

const ROOT = resolve(__dirname, '../..');
const TINY = join(ROOT, 'test', 'fixtures', 'tiny-bert');
const CLASSIFIER_CHECKPOINT = join(ROOT, 'test', 'fixtures', 'checkpoints', 'sequence-classifier');
const work = mkdtempSync(join(tmpdir(), 'bert-lens-classify-'));
after(async () => {
  await disposeAllModels();
  rmSync(work, { recursive: true, force: true });
});

const TEXTS = ['a short one', 'this sentence is quite a bit longer than the first one, with a comma', 'mid length text here'];

let tiny: BertModel;
before(async () => {
  tiny = await loadModel(TINY, { executionProvider: 'cpu' });
});

/** The reference: run one text alone (no padding) and pool its sequence_output by hand. */
async function referenceFeatures(model: BertModel, text: string, pooling: 'cls' | 'mean'): Promise<number[]> {
  const [input] = await model.tokenizer.encodeBatch([text]);
  const { outputs } = await model.run([input], { outputs: ['sequence_output'] });
  const hidden = outputs.sequence_output.dims[2];
  const data = outputs.sequence_output.data;
  if (pooling === 'cls') return Array.from(data.subarray(0, hidden));
  const positions = input.ids.map((_, t) => t).filter((t) => t > 0 && t < input.ids.length - 1);
  return Array.from({ length: hidden }, (_, h) => positions.reduce((s, t) => s + data[t * hidden + h], 0) / positions.length);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('extractFeatures', () => {
  for (const pooling of ['mean', 'cls'] as const) {
    test(`${pooling} pooling in padded batches equals single-text runs`, async () => {
      const { features, hiddenSize } = await extractFeatures(tiny, TEXTS, { pooling, batchSize: 3 });
      assert.equal(hiddenSize, 32);
      for (const [i, text] of TEXTS.entries()) {
        const diff = maxAbsDiff(features[i], await referenceFeatures(tiny, text, pooling));
        assert.ok(diff < 1e-4, `${pooling} text ${i}: max diff ${diff}`);
      }
    });
  }

  test('mean and cls give different vectors; the default is mean', async () => {
    const mean = await extractFeatures(tiny, [TEXTS[0]], { pooling: 'mean' });
    const cls = await extractFeatures(tiny, [TEXTS[0]], { pooling: 'cls' });
    const fallback = await extractFeatures(tiny, [TEXTS[0]]);
    assert.equal(fallback.pooling, 'mean');
    assert.ok(maxAbsDiff(mean.features[0], cls.features[0]) > 1e-3);
    assert.deepEqual(Array.from(fallback.features[0]), Array.from(mean.features[0]));
  });

  test('progress after each batch up to the total; an aborted signal stops the run', async () => {
    const texts = Array.from({ length: 7 }, (_, i) => `text number ${i}`);
    const seen: number[] = [];
    await extractFeatures(tiny, texts, { batchSize: 3, onProgress: ({ done, total }) => (assert.equal(total, 7), seen.push(done)) });
    assert.deepEqual(seen, [3, 6, 7]);

    const controller = new AbortController();
    const stopped = extractFeatures(tiny, texts, {
      batchSize: 2,
      signal: controller.signal,
      onProgress: ({ done }) => {
        if (done === 2) controller.abort();
      },
    });
    await assert.rejects(stopped, { name: 'AbortError' });
  });

  test('an empty text is refused with its index; a truncated text is flagged', async () => {
    await assert.rejects(extractFeatures(tiny, ['fine', '  ']), /Input 2: the text is empty/);
    const long = 'word '.repeat(600);
    const { truncated } = await extractFeatures(tiny, ['short', long]);
    assert.deepEqual(truncated, [false, true]);
  });
});

describe('classify with a linear head', () => {
  async function headFor(model: BertModel): Promise<LinearHead> {
    const hidden = model.folder.config.hiddenSize;
    return {
      format: 'bert-lens-linear-head',
      version: 1,
      name: 'probe',
      labels: ['first', 'second', 'third'],
      pooling: 'mean',
      normalization: { mean: new Array(hidden).fill(0.1), std: new Array(hidden).fill(0.5) },
      weights: [0, 1, 2].map((k) => Array.from({ length: hidden }, (_, h) => Math.sin(h * (k + 1)))),
      bias: [0.1, -0.2, 0],
      model: await modelIdentity(model.folder, 'tiny-random'),
      training: { examples: 0, date: new Date(0).toISOString(), l2: 0, iterations: 0, crossValidation: null },
    };
  }

  test('scores are the head applied to the features, sorted, summing to 1', async () => {
    const head = await headFor(tiny);
    const results = await classify(tiny, TEXTS, head);
    const { features } = await extractFeatures(tiny, TEXTS, { pooling: 'mean' });
    results.forEach((result, i) => {
      const expected = applyLinearHead(head, features[i]);
      for (const { label, score } of result.labels) assert.ok(Math.abs(score - expected[head.labels.indexOf(label)]) < 1e-9);
      const scores = result.labels.map((l) => l.score);
      assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
      assert.ok(Math.abs(scores.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    });
  });

  test('a head from another model is refused; an empty text fails only its own slot', async () => {
    const head = await headFor(tiny);
    await assert.rejects(classify(tiny, ['x'], { ...head, model: { ...head.model, vocabSha256: 'other' } }), /vocabulary differs/);
    const outcomes = await classifySettled(tiny, ['good', '', 'bad'], head);
    assert.deepEqual(
      outcomes.map((o) => o.ok),
      [true, false, true],
    );
    await assert.rejects(classify(tiny, ['good', ''], head), /Input 2: The text is empty/);
  });

  test("'model' on a model without a classifier explains", async () => {
    assert.equal(await modelClassifier(tiny), undefined);
    await assert.rejects(classify(tiny, ['x'], 'model'), /has no classifier head/);
  });
});

describe("'layers-mean' pooling", () => {
  let layered: BertModel;
  before(async () => {
    // The tiny fixture folder is also a checkpoint: compile it as imports are, with layer_means.
    const folder = join(work, 'tiny-layer-means');
    await compileCheckpoint(TINY, folder, IMPORT_COMPILE_OPTIONS);
    layered = await loadModel(folder, { executionProvider: 'cpu' });
  });

  test('(layers + 1) · hidden features: padded batches equal single runs; the last block is the masked mean of sequence_output', async () => {
    const { hiddenSize: H, numHiddenLayers: L } = layered.folder.config;
    const { features, featureSize, hiddenSize } = await extractFeatures(layered, TEXTS, { pooling: 'layers-mean', batchSize: 3 });
    assert.equal(hiddenSize, H);
    assert.equal(featureSize, (L + 1) * H);
    for (const [i, text] of TEXTS.entries()) {
      assert.equal(features[i].length, (L + 1) * H);
      const [alone] = (await extractFeatures(layered, [text], { pooling: 'layers-mean' })).features;
      assert.ok(maxAbsDiff(features[i], alone) < 1e-5, `text ${i}: padding changed the features`);
      // Over the attention mask: [CLS] and [SEP] included (unlike 'mean').
      const [input] = await layered.tokenizer.encodeBatch([text]);
      const sequence = (await layered.run([input], { outputs: ['sequence_output'] })).outputs.sequence_output.data;
      const n = input.ids.length;
      const last = Array.from({ length: H }, (_, h) => Array.from({ length: n }, (_, t) => sequence[t * H + h]).reduce((a, b) => a + b, 0) / n);
      assert.ok(maxAbsDiff(features[i].subarray(L * H), last) < 1e-5, `text ${i}: last block`);
    }
  });

  test('a model without layer_means says how to get it', async () => {
    await assert.rejects(extractFeatures(tiny, TEXTS, { pooling: 'layers-mean' }), /has no layer_means output.*re-import its checkpoint with `bert-lens import/);
  });

  test('trains a head that records the layer count, reads back and classifies', async () => {
    const texts = ['good fun', 'a lovely film', 'great acting', 'warm and kind', 'dull', 'a boring mess', 'awful acting', 'cold and slow'];
    const examples = texts.map((text, i) => ({ text, label: i < 4 ? 'pos' : 'neg', line: i + 1 }));
    const { head, report } = await trainLinearHead(layered, { examples, labels: ['pos', 'neg'], counts: [4, 4] }, { name: 'layers', modelName: 'tiny', pooling: 'layers-mean', folds: 2 });
    const { hiddenSize: H, numHiddenLayers: L } = layered.folder.config;
    assert.equal(report.pooling, 'layers-mean');
    assert.equal(head.model.numHiddenLayers, L);
    assert.equal(head.weights[0].length, (L + 1) * H);
    const read = parseLinearHead(JSON.parse(serializeLinearHead(head)), 'layers.json');
    const results = await classify(layered, ['good fun', 'dull'], read);
    for (const result of results) assert.ok(Math.abs(result.labels.reduce((s, l) => s + l.score, 0) - 1) < 1e-9);
    await assert.rejects(classify(tiny, ['good fun'], read), /has no layer_means output/);
  });
});

describe('classify with a compiled BertForSequenceClassification head', () => {
  interface Expected {
    labels: string[];
    cases: Array<{ text_a: string; text_b: string | null; classifier_probabilities: number[] }>;
  }
  const expected = JSON.parse(readFileSync(join(CLASSIFIER_CHECKPOINT, 'expected.json'), 'utf8')) as Expected;
  const single = expected.cases.filter((c) => c.text_b === null);
  const compiled = join(work, 'sequence-classifier');
  before(async () => {
    await compileCheckpoint(CLASSIFIER_CHECKPOINT, compiled);
  });

  test('gives the PyTorch probabilities for every label (one padded batch)', async () => {
    assert.ok(single.length >= 2, 'the fixture has single-text cases');
    const model = await loadModel(compiled, { executionProvider: 'cpu' });
    assert.deepEqual(await modelClassifier(model), { labels: expected.labels, multiLabel: false });
    const results = await classify(model, single.map((c) => c.text_a), 'model');
    results.forEach((result, i) => {
      assert.equal(result.labels.length, expected.labels.length);
      for (const { label, score } of result.labels) {
        const reference = single[i].classifier_probabilities[expected.labels.indexOf(label)];
        assert.ok(Math.abs(score - reference) < 1e-4, `case ${i} ${label}: ${score} vs ${reference}`);
      }
    });
  });

  test('multi_label_classification scores each label with a sigmoid', async () => {
    const multi = join(work, 'multi-label');
    cpSync(compiled, multi, { recursive: true });
    const config = JSON.parse(readFileSync(join(multi, 'config.json'), 'utf8'));
    writeFileSync(join(multi, 'config.json'), JSON.stringify({ ...config, problem_type: 'multi_label_classification' }));
    const model = await loadModel(multi, { executionProvider: 'cpu' });
    assert.equal((await modelClassifier(model))?.multiLabel, true);
    const [result] = await classify(model, [single[0].text_a], 'model');
    const [input] = await model.tokenizer.encodeBatch([single[0].text_a]);
    const logits = (await model.run([input], { outputs: ['classifier_logits'] })).outputs.classifier_logits.data;
    for (const { label, score } of result.labels) {
      const k = expected.labels.indexOf(label);
      assert.ok(Math.abs(score - 1 / (1 + Math.exp(-logits[k]))) < 1e-6, label);
    }
    const sum = result.labels.reduce((s, l) => s + l.score, 0);
    assert.ok(Math.abs(sum - 1) > 1e-3, `independent sigmoids need not sum to 1 (sum ${sum})`);
  });
});
