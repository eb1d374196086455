/**
 * The linear head file: a round trip through JSON, validation errors that name the field,
 * applying a head (against a hand computation), the model fingerprint checks, and
 * 'layers-mean' heads ((numHiddenLayers + 1) · hiddenSize features, the layer count recorded).
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  applyLinearHead,
  checkHeadModel,
  headModelIdentity,
  LinearHeadError,
  modelIdentity,
  parseLinearHead,
  readLinearHead,
  serializeLinearHead,
  type LinearHead,
} from '../../src/engine/linear-head';
import { readModelFolder } from '../../src/engine/model-folder';

const FIXTURE_DIR = resolve(__dirname, '../..', 'test', 'fixtures', 'tiny-bert');
const work = mkdtempSync(join(tmpdir(), 'bert-lens-head-'));
after(() => rmSync(work, { recursive: true, force: true }));

function sampleHead(): LinearHead {
  return {
    format: 'bert-lens-linear-head',
    version: 1,
    name: 'toy',
    labels: ['neg', 'pos', 'neutral'],
    pooling: 'mean',
    normalization: { mean: [1, -1], std: [2, 0.5] },
    weights: [
      [1, 0],
      [0, 1],
      [-1, -1],
    ],
    bias: [0, 0.5, -0.5],
    model: { name: 'tiny', hiddenSize: 2, vocabSha256: 'v', configSha256: 'c' },
    training: { examples: 3, date: '2026-11-25T00:00:00.000Z', l2: 0.001, iterations: 5, crossValidation: null },
  };
}

describe('head files', () => {
  test('serialize → read gives the same head', async () => {
    const path = join(work, 'toy.json');
    writeFileSync(path, serializeLinearHead(sampleHead()));
    assert.deepEqual(await readLinearHead(path), sampleHead());
  });

  const broken: Array<[string, (h: Record<string, unknown>) => void, RegExp]> = [
    ['another format', (h) => (h.format = 'something'), /not a BERT Lens linear head/],
    ['a newer version', (h) => (h.version = 2), /unsupported version 2 \(written by a newer BERT Lens/],
    ['one label', (h) => ((h.labels = ['a']), (h.weights = [[1, 0]]), (h.bias = [0])), /"labels" must be a list of at least two/],
    ['duplicate labels', (h) => (h.labels = ['a', 'a', 'b']), /"labels" has duplicates/],
    ['an unknown pooling', (h) => (h.pooling = 'max'), /"pooling" must be one of "mean", "cls", "layers-mean", got "max"/],
    ['a short weight row', (h) => ((h.weights as number[][])[1] = [1]), /"weights\[1\]" must be a list of 2 numbers/],
    ['a missing weight row', (h) => (h.weights as number[][]).pop(), /"weights" must have one row per label \(3 rows\)/],
    ['a string among the weights', (h) => ((h.weights as unknown[][])[0][1] = 'x'), /"weights\[0\]"\[1\] is not a finite number \("x"\)/],
    ['a zero std', (h) => ((h.normalization as { std: number[] }).std[1] = 0), /"normalization.std"\[1\] must be positive/],
    ['a bias of the wrong length', (h) => (h.bias = [0]), /"bias" must be a list of 3 numbers/],
    ['no model fingerprint', (h) => delete (h.model as Record<string, unknown>).vocabSha256, /"model.vocabSha256" must be a string/],
  ];
  for (const [what, breakIt, message] of broken) {
    test(`rejects ${what}`, () => {
      const json = JSON.parse(JSON.stringify(sampleHead())) as Record<string, unknown>;
      breakIt(json);
      assert.throws(
        () => parseLinearHead(json, 'heads/toy.json'),
        (error: Error) => error instanceof LinearHeadError && error.message.startsWith('heads/toy.json: ') && message.test(error.message),
      );
    });
  }

  test('a file that is not JSON names the file', async () => {
    const path = join(work, 'broken.json');
    writeFileSync(path, '{"format": ');
    await assert.rejects(readLinearHead(path), /broken\.json is not valid JSON/);
    await assert.rejects(readLinearHead(join(work, 'absent.json')), /cannot read the head .*absent\.json: no such file/);
  });
});

describe("'layers-mean' heads", () => {
  /** hiddenSize 2, 1 layer: features of (1 + 1) · 2 = 4 values. */
  function layersHead(): LinearHead {
    return {
      ...sampleHead(),
      labels: ['neg', 'pos'],
      pooling: 'layers-mean',
      normalization: { mean: [0, 0, 0, 0], std: [1, 1, 1, 1] },
      weights: [
        [1, 0, 0, 0],
        [0, 0, 0, 1],
      ],
      bias: [0, 0],
      model: { name: 'tiny', hiddenSize: 2, vocabSha256: 'v', configSha256: 'c', numHiddenLayers: 1 },
    };
  }

  test('take (numHiddenLayers + 1) · hiddenSize features and round-trip with the layer count', () => {
    const head = parseLinearHead(JSON.parse(serializeLinearHead(layersHead())), 'heads/layers.json');
    assert.deepEqual(head, layersHead());
    assert.equal(applyLinearHead(head, [0, 0, 0, 0]).length, 2);
    assert.throws(() => applyLinearHead(head, [0, 0]), /takes 4 features, got 2/);
  });

  const broken: Array<[string, (h: Record<string, unknown>) => void, RegExp]> = [
    ['no layer count', (h) => delete (h.model as Record<string, unknown>).numHiddenLayers, /"model.numHiddenLayers" is required with "layers-mean"/],
    ['a bad layer count', (h) => ((h.model as Record<string, unknown>).numHiddenLayers = 0), /"model.numHiddenLayers" must be a positive integer/],
    ['hiddenSize-long vectors', (h) => ((h.normalization as { mean: number[] }).mean = [0, 0]), /"normalization.mean" must be a list of 4 numbers/],
    ['another layer count than the weights', (h) => ((h.model as Record<string, unknown>).numHiddenLayers = 2), /must be a list of 6 numbers/],
  ];
  for (const [what, breakIt, message] of broken) {
    test(`rejects ${what}`, () => {
      const json = JSON.parse(JSON.stringify(layersHead())) as Record<string, unknown>;
      breakIt(json);
      assert.throws(() => parseLinearHead(json, 'heads/layers.json'), (error: Error) => error instanceof LinearHeadError && message.test(error.message));
    });
  }

  test('another layer count is refused for layers-mean heads only; only they record it', async () => {
    const identity = { name: 'other', hiddenSize: 2, vocabSha256: 'v', configSha256: 'c', numHiddenLayers: 1 };
    assert.equal(checkHeadModel(layersHead(), identity), undefined);
    assert.throws(() => checkHeadModel(layersHead(), { ...identity, numHiddenLayers: 3 }), /\(1 layers, layers-mean pooling\); other has 3 layers/);
    assert.equal(checkHeadModel(sampleHead(), { ...identity, numHiddenLayers: 3 }), undefined);
    const tiny = await modelIdentity(await readModelFolder(FIXTURE_DIR), 'tiny-random');
    assert.equal(tiny.numHiddenLayers, 2);
    assert.equal(headModelIdentity(tiny, 'layers-mean').numHiddenLayers, 2);
    assert.ok(!('numHiddenLayers' in headModelIdentity(tiny, 'mean')), 'mean heads stay as they were');
  });
});

describe('applyLinearHead', () => {
  test('equals softmax(W·((x − mean)/std) + b) computed by hand', () => {
    const head = sampleHead();
    // x = [3, 0] → standardised [1, 2] → logits [1, 2.5, -3.5]
    const logits = [1, 2.5, -3.5];
    const denominator = logits.reduce((s, z) => s + Math.exp(z), 0);
    const probabilities = applyLinearHead(head, [3, 0]);
    probabilities.forEach((p, k) => assert.ok(Math.abs(p - Math.exp(logits[k]) / denominator) < 1e-12, `label ${k}`));
    assert.throws(() => applyLinearHead(head, [1, 2, 3]), /takes 2 features, got 3/);
  });
});

describe('model fingerprints', () => {
  test('hash vocab.txt and the architecture; a head fits the model it came from', async () => {
    const folder = await readModelFolder(FIXTURE_DIR);
    const identity = await modelIdentity(folder, 'tiny-random');
    assert.equal(identity.vocabSha256, createHash('sha256').update(readFileSync(join(FIXTURE_DIR, 'vocab.txt'))).digest('hex'));
    assert.equal(identity.hiddenSize, 32);
    assert.match(identity.configSha256, /^[0-9a-f]{64}$/);
    const head = { ...sampleHead(), model: identity };
    assert.equal(checkHeadModel(head, identity), undefined);
  });

  test('another hidden size or vocabulary is refused; another architecture only warned about', () => {
    const identity = { name: 'other', hiddenSize: 2, vocabSha256: 'v', configSha256: 'c' };
    const head = sampleHead();
    assert.throws(() => checkHeadModel(head, { ...identity, hiddenSize: 4 }), /trained on the model tiny \(hidden size 2\); other has hidden size 4/);
    assert.throws(() => checkHeadModel(head, { ...identity, vocabSha256: 'w' }), /whose vocabulary differs from other's\. Use --model tiny or retrain/);
    assert.match(checkHeadModel(head, { ...identity, configSha256: 'd' })!, /different architecture/);
  });
});
