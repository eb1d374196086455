/**
 * Graph variants and precisions (src/model/onnx/fused-blocks.ts, quantize.ts, float16.ts,
 * the `attentions` output, gelu_new): the fused fp32 graph against the PyTorch golden fixtures
 * and the standard graph; int8 and fp16 top-1 MLM agreement with fp32 on every token of the
 * fixture inputs plus random inputs on random models; attention probabilities (shape, rows
 * sum to 1, zero on padding keys, same in both variants); the `layer_means` output in every
 * variant and precision (shape, float32, its last slice the masked mean of sequence_output,
 * padding-invariant, close to fp32); the int8 size budget; the `--quantize` / `--variant`
 * options of `bert-lens import`.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { runImport } from '../../src/cli/import';
import { UsageError } from '../../src/cli/shared';
import { disposeAllModels } from '../../src/engine';
import { loadCheckpoint } from '../../src/model/checkpoint';
import { compileCheckpoint } from '../../src/model/compile';
import { parseBertConfig, type BertConfig } from '../../src/model/model-config';
import { buildBertGraph, type BertGraphOptions } from '../../src/model/onnx/bert-graph';
import type { WeightMap } from '../../src/model/onnx/bert-weights';
import { float16Bits } from '../../src/model/onnx/float16';
import { mulberry32, randomBertWeights } from '../../src/model/onnx/random-bert-weights';

const FIXTURES = resolve(__dirname, '../../test/fixtures/checkpoints');
const TOLERANCE = 1e-4;
const work = mkdtempSync(join(tmpdir(), 'bert-lens-variants-'));
after(async () => {
  await disposeAllModels();
  rmSync(work, { recursive: true, force: true });
});

interface FixtureCase {
  input_ids: number[];
  token_type_ids: number[];
  mlm_positions?: number[];
  mlm_probabilities?: number[][];
  nsp_probabilities?: number[];
  classifier_probabilities?: number[];
  pooled_output: number[];
}

interface Sequence {
  ids: number[];
  types: number[];
  /** MLM positions to read (default: none). */
  positions?: number[];
}

function softmax(values: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]);
  const exps = Array.from(values, (v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

interface RunResult {
  /** Per sequence, per requested position: MLM probabilities. */
  mlm?: number[][][];
  nsp?: number[][];
  classifier?: number[][];
  pooled?: Float32Array[];
  outputs: ort.InferenceSession.OnnxValueMapType;
}

/** Runs `sequences` as one right-padded batch on the graph `model`. */
async function runGraph(model: Uint8Array | string, sequences: Sequence[]): Promise<RunResult> {
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  try {
    const batch = sequences.length;
    const seq = Math.max(...sequences.map((s) => s.ids.length));
    const positions = Math.max(1, ...sequences.map((s) => s.positions?.length ?? 0));
    const ids = new BigInt64Array(batch * seq);
    const types = new BigInt64Array(batch * seq);
    const mask = new BigInt64Array(batch * seq);
    const mlm = new BigInt64Array(batch * positions);
    sequences.forEach((s, b) => {
      s.ids.forEach((id, i) => {
        ids[b * seq + i] = BigInt(id);
        types[b * seq + i] = BigInt(s.types[i]);
        mask[b * seq + i] = 1n;
      });
      s.positions?.forEach((p, j) => (mlm[b * positions + j] = BigInt(p)));
    });
    const all: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [batch, seq]),
      token_type_ids: new ort.Tensor('int64', types, [batch, seq]),
      attention_mask: new ort.Tensor('int64', mask, [batch, seq]),
      mlm_positions: new ort.Tensor('int64', mlm, [batch, positions]),
    };
    const outputs = await session.run(Object.fromEntries(session.inputNames.map((name) => [name, all[name]])));
    const rows = (name: string) => {
      const tensor = outputs[name];
      if (!tensor) return undefined;
      const width = tensor.dims[1];
      return sequences.map((_, b) => (tensor.data as Float32Array).slice(b * width, (b + 1) * width));
    };
    const logits = outputs.mlm_logits;
    const vocab = logits?.dims[2] ?? 0;
    return {
      outputs,
      mlm: logits
        ? sequences.map((s, b) =>
            (s.positions ?? []).map((_, j) =>
              softmax((logits.data as Float32Array).subarray((b * positions + j) * vocab, (b * positions + j + 1) * vocab)),
            ),
          )
        : undefined,
      nsp: rows('nsp_logits')?.map(softmax),
      classifier: rows('classifier_logits')?.map(softmax),
      pooled: rows('pooled_output'),
    };
  } finally {
    await session.release();
  }
}

/** The golden fixtures; gelu-new (hidden_act gelu_new) is made by training/reference/make_gelu_new_fixture.py. */
const FIXTURE_NAMES = ['legacy-pretraining', 'modern-no-prefix', 'sequence-classifier', 'chinese', 'gelu-new'];

function fixtureCases(name: string): FixtureCase[] {
  return JSON.parse(readFileSync(join(FIXTURES, name, 'expected.json'), 'utf8')).cases;
}

/** Every token of every case, as MLM positions (for agreement counts over many positions). */
function everyPosition(cases: FixtureCase[]): Sequence[] {
  return cases.map((c) => ({ ids: c.input_ids, types: c.token_type_ids, positions: c.input_ids.map((_, i) => i) }));
}

/** A small random BERT (non-trivial LayerNorm / biases) and `count` random sequences for it, all positions read. */
function randomModel(seed: number, hiddenAct: 'gelu' | 'gelu_new' = 'gelu') {
  const config = parseBertConfig(
    {
      vocab_size: 300,
      hidden_size: 64,
      num_hidden_layers: 3,
      num_attention_heads: 4,
      intermediate_size: 256,
      max_position_embeddings: 64,
      hidden_act: hiddenAct,
    },
    'random config',
  );
  const weights = randomBertWeights(config, { seed, std: 0.08, biasStd: 0.05, layerNormStd: 0.1 });
  const uniform = mulberry32(seed + 1);
  const sequences: Sequence[] = [];
  for (let i = 0; i < 16; i++) {
    const length = 8 + Math.floor(uniform() * 24);
    const ids = Array.from({ length }, () => 5 + Math.floor(uniform() * 295));
    const split = Math.floor(length / 2);
    sequences.push({ ids, types: ids.map((_, j) => (j < split ? 0 : 1)), positions: ids.map((_, j) => j) });
  }
  return { config, weights, sequences };
}

interface ModelUnderTest {
  label: string;
  config: BertConfig;
  weights: WeightMap;
  heads?: BertGraphOptions['heads'];
  sequences: Sequence[];
}

async function modelsUnderTest(): Promise<ModelUnderTest[]> {
  const models: ModelUnderTest[] = [];
  for (const name of ['legacy-pretraining', 'modern-no-prefix', 'chinese']) {
    const checkpoint = await loadCheckpoint(join(FIXTURES, name));
    models.push({ label: name, config: checkpoint.config, weights: checkpoint.weights, heads: checkpoint.heads, sequences: everyPosition(fixtureCases(name)) });
  }
  for (const seed of [11, 12]) {
    const random = randomModel(seed);
    models.push({ label: `random-${seed}`, ...random });
  }
  return models;
}

describe('fused fp32 graph', () => {
  for (const name of FIXTURE_NAMES) {
    test(`${name}: fused and standard graphs match the PyTorch reference and each other`, async (t) => {
      const cases = fixtureCases(name);
      const checkpoint = await loadCheckpoint(join(FIXTURES, name));
      const fused = buildBertGraph(checkpoint.config, checkpoint.weights, { variant: 'fused', heads: checkpoint.heads });
      const standard = buildBertGraph(checkpoint.config, checkpoint.weights, { variant: 'standard', heads: checkpoint.heads });
      const sequences = cases.map((c) => ({ ids: c.input_ids, types: c.token_type_ids, positions: c.mlm_positions }));
      let worst = 0;
      for (const [variant, graph] of [['fused', fused], ['standard', standard]] as const) {
        const got = await runGraph(graph, sequences);
        const check = (what: string, actual: ArrayLike<number>, want: ArrayLike<number>) => {
          const diff = maxAbsDiff(actual, want);
          if (variant === 'fused') worst = Math.max(worst, diff);
          assert.ok(diff <= TOLERANCE, `${name} ${variant} ${what}: max |Δ| = ${diff.toExponential(2)}`);
        };
        cases.forEach((c, b) => {
          c.mlm_probabilities?.forEach((row, j) => check(`case ${b} MLM probabilities`, got.mlm![b][j], row));
          if (c.nsp_probabilities) check(`case ${b} NSP probabilities`, got.nsp![b], c.nsp_probabilities);
          if (c.classifier_probabilities) check(`case ${b} classifier probabilities`, got.classifier![b], c.classifier_probabilities);
          check(`case ${b} pooled output`, got.pooled![b], c.pooled_output);
        });
      }

      // Fused against standard on every token position (MLM) and the sentence heads.
      const all = everyPosition(cases);
      const [a, s] = [await runGraph(fused, all), await runGraph(standard, all)];
      let variantWorst = 0;
      a.mlm?.forEach((rows, b) => rows.forEach((row, j) => (variantWorst = Math.max(variantWorst, maxAbsDiff(row, s.mlm![b][j])))));
      a.nsp?.forEach((row, b) => (variantWorst = Math.max(variantWorst, maxAbsDiff(row, s.nsp![b]))));
      a.classifier?.forEach((row, b) => (variantWorst = Math.max(variantWorst, maxAbsDiff(row, s.classifier![b]))));
      assert.ok(variantWorst <= TOLERANCE, `fused vs standard: max |Δ| = ${variantWorst.toExponential(2)}`);
      t.diagnostic(`${name}: fused vs reference max |Δ| ${worst.toExponential(2)}, fused vs standard ${variantWorst.toExponential(2)}`);
    });
  }

  test('uses the contrib operators it is meant to (and the standard graph none)', async () => {
    const { onnx } = await import('onnx-proto');
    const checkpoint = await loadCheckpoint(join(FIXTURES, 'legacy-pretraining'));
    const opsOf = (bytes: Uint8Array) => new Set(onnx.ModelProto.decode(bytes).graph!.node!.map((n) => `${n.domain || 'ai.onnx'}:${n.opType}`));
    const fused = opsOf(buildBertGraph(checkpoint.config, checkpoint.weights, { variant: 'fused' }));
    for (const op of ['Attention', 'SkipLayerNormalization', 'BiasGelu']) assert.ok(fused.has(`com.microsoft:${op}`), op);
    const standard = opsOf(buildBertGraph(checkpoint.config, checkpoint.weights, { variant: 'standard' }));
    assert.deepEqual([...standard].filter((op) => !op.startsWith('ai.onnx:')), []);
    const int8 = opsOf(buildBertGraph(checkpoint.config, checkpoint.weights, { variant: 'fused', precision: 'int8' }));
    for (const op of ['com.microsoft:QAttention', 'com.microsoft:DynamicQuantizeMatMul', 'ai.onnx:MatMulInteger']) assert.ok(int8.has(op), op);
  });
});

describe('int8 and fp16 agree with fp32', () => {
  const precisions: Array<Pick<BertGraphOptions, 'variant' | 'precision'>> = [
    { variant: 'fused', precision: 'int8' },
    { variant: 'standard', precision: 'int8' },
    { variant: 'fused', precision: 'fp16' },
    { variant: 'standard', precision: 'fp16' },
  ];
  /**
   * Two counts. (1) The fixtures' own [MASK] positions, the issue's criterion: ≥ 99%.
   * (2) Every token position of the fixture inputs and of random inputs on two random models
   * (≈ 800 positions), where tiny random models often have near-ties between their top two
   * tokens: fp16 must still agree ≥ 99%; int8 is held to ≥ 90% (measured ≈ 94%), a guard
   * against regressions, with the figures printed as diagnostics.
   */
  const EVERY_POSITION_MINIMUM = { int8: 0.9, fp16: 0.99 } as const;
  for (const options of precisions) {
    test(`${options.variant} ${options.precision}: top-1 MLM agreement with fp32`, async (t) => {
      let maskPositions = 0;
      let maskAgreeing = 0;
      for (const name of ['legacy-pretraining', 'modern-no-prefix', 'chinese']) {
        const checkpoint = await loadCheckpoint(join(FIXTURES, name));
        const cases = fixtureCases(name);
        const sequences = cases.map((c) => ({ ids: c.input_ids, types: c.token_type_ids, positions: c.mlm_positions }));
        const got = await runGraph(buildBertGraph(checkpoint.config, checkpoint.weights, { heads: checkpoint.heads, ...options }), sequences);
        cases.forEach((c, b) =>
          c.mlm_probabilities?.forEach((row, j) => {
            maskPositions++;
            if (argmax(row) === argmax(got.mlm![b][j])) maskAgreeing++;
          }),
        );
      }

      let positions = 0;
      let agreeing = 0;
      let worstProbability = 0;
      let worstSentence = 0;
      const perModel: string[] = [];
      for (const model of await modelsUnderTest()) {
        const reference = await runGraph(buildBertGraph(model.config, model.weights, { heads: model.heads }), model.sequences);
        const got = await runGraph(buildBertGraph(model.config, model.weights, { heads: model.heads, ...options }), model.sequences);
        let modelPositions = 0;
        let modelAgreeing = 0;
        reference.mlm!.forEach((rows, b) =>
          rows.forEach((row, j) => {
            modelPositions++;
            if (argmax(row) === argmax(got.mlm![b][j])) modelAgreeing++;
            worstProbability = Math.max(worstProbability, maxAbsDiff(row, got.mlm![b][j]));
          }),
        );
        reference.nsp?.forEach((row, b) => (worstSentence = Math.max(worstSentence, maxAbsDiff(row, got.nsp![b]))));
        positions += modelPositions;
        agreeing += modelAgreeing;
        perModel.push(`${model.label} ${modelAgreeing}/${modelPositions}`);
      }
      const agreement = agreeing / positions;
      t.diagnostic(
        `${options.variant} ${options.precision}: [MASK] positions ${maskAgreeing}/${maskPositions}; every position ` +
          `${(100 * agreement).toFixed(2)}% of ${positions} (${perModel.join(', ')}); ` +
          `max |Δ| MLM probability ${worstProbability.toExponential(2)}, NSP probability ${worstSentence.toExponential(2)}`,
      );
      assert.ok(maskAgreeing / maskPositions >= 0.99, `[MASK] positions: ${maskAgreeing}/${maskPositions}`);
      assert.ok(positions >= 500, `only ${positions} positions compared`);
      const minimum = EVERY_POSITION_MINIMUM[options.precision as 'int8' | 'fp16'];
      assert.ok(agreement >= minimum, `top-1 agreement ${(100 * agreement).toFixed(2)}% < ${100 * minimum}%`);
      // Quantization / half precision must change something, or this test is not looking at it.
      assert.ok(worstProbability > 0, 'the outputs are bit-identical to fp32');
    });
  }

  test('int8 is ≤ 30% and fp16 ≈ 50% of the fp32 size with a full vocabulary', () => {
    const config = parseBertConfig(
      { vocab_size: 30522, hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024 },
      'size config',
    );
    const weights = randomBertWeights(config, { seed: 3 });
    const fp32 = buildBertGraph(config, weights, { variant: 'fused' }).length;
    const int8 = buildBertGraph(config, weights, { variant: 'fused', precision: 'int8' }).length;
    const fp16 = buildBertGraph(config, weights, { variant: 'fused', precision: 'fp16' }).length;
    assert.ok(int8 <= 0.3 * fp32, `int8 ${int8} of fp32 ${fp32}`);
    assert.ok(fp16 <= 0.51 * fp32 && fp16 >= 0.49 * fp32, `fp16 ${fp16} of fp32 ${fp32}`);
  });

  test('int8 quantizes the word table of a classifier without an MLM head (≤ 30% of fp32), labels unchanged', async () => {
    const config = parseBertConfig(
      { vocab_size: 30522, hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024 },
      'size config',
    );
    const classifierOnly = { pooler: true, mlm: false, nsp: true, classifierLabels: 0 };
    const weights = randomBertWeights(config, { seed: 5 });
    const fp32 = buildBertGraph(config, weights, { variant: 'fused', heads: classifierOnly }).length;
    const int8 = buildBertGraph(config, weights, { variant: 'fused', precision: 'int8', heads: classifierOnly }).length;
    assert.ok(int8 <= 0.3 * fp32, `int8 ${int8} of fp32 ${fp32}`);

    // The fixture classifier (BertForSequenceClassification, no MLM head): int8 keeps its labels.
    const checkpoint = await loadCheckpoint(join(FIXTURES, 'sequence-classifier'));
    assert.equal(checkpoint.heads.mlm, false);
    const { onnx } = await import('onnx-proto');
    const graph = buildBertGraph(checkpoint.config, checkpoint.weights, { heads: checkpoint.heads, precision: 'int8' });
    const tables = onnx.ModelProto.decode(graph).graph!.initializer!.filter((t) => t.name!.includes('word_embeddings'));
    assert.deepEqual(
      tables.map((t) => t.dataType),
      [onnx.TensorProto.DataType.UINT8, onnx.TensorProto.DataType.FLOAT],
      'a uint8 table and its float row scales, no float table',
    );
    const cases = fixtureCases('sequence-classifier');
    const got = await runGraph(graph, cases.map((c) => ({ ids: c.input_ids, types: c.token_type_ids })));
    cases.forEach((c, b) => {
      assert.equal(argmax(got.classifier![b]), argmax(c.classifier_probabilities!), `case ${b}`);
      assert.ok(maxAbsDiff(got.classifier![b], c.classifier_probabilities!) < 0.05, `case ${b}`);
    });
  });

  test('float16 conversion rounds to nearest even and saturates', () => {
    assert.equal(float16Bits(1), 0x3c00);
    assert.equal(float16Bits(-2), 0xc000);
    assert.equal(float16Bits(65504), 0x7bff);
    assert.equal(float16Bits(65520), 0x7c00); // rounds up to infinity
    assert.equal(float16Bits(1e-8), 0); // below the smallest subnormal
    assert.equal(float16Bits(2 ** -24), 0x0001); // smallest subnormal
    assert.equal(float16Bits(1 + 2 ** -11), 0x3c00); // halfway: to even
    assert.equal(float16Bits(1 + 3 * 2 ** -11), 0x3c02); // halfway: to even (up)
    assert.equal(float16Bits(-10000), 0xf0e2);
  });
});

describe('attention probabilities', () => {
  for (const variant of ['standard', 'fused'] as const) {
    test(`${variant}: [layers, batch, heads, seq, seq], rows sum to 1, zero on padding keys`, async () => {
      const checkpoint = await loadCheckpoint(join(FIXTURES, 'legacy-pretraining'));
      const { config } = checkpoint;
      const cases = fixtureCases('legacy-pretraining');
      const sequences = cases.map((c) => ({ ids: c.input_ids, types: c.token_type_ids, positions: c.mlm_positions }));
      const withMaps = await runGraph(buildBertGraph(config, checkpoint.weights, { variant, attentions: true }), sequences);
      const without = await runGraph(buildBertGraph(config, checkpoint.weights, { variant }), sequences);
      const maps = withMaps.outputs.attentions;
      const [L, B, heads, S] = [config.numHiddenLayers, cases.length, config.numAttentionHeads, Math.max(...cases.map((c) => c.input_ids.length))];
      assert.deepEqual(maps.dims, [L, B, heads, S, S]);
      const data = maps.data as Float32Array;
      let worstRow = 0;
      let paddingMass = 0;
      let minOnTokens = 1;
      for (let l = 0; l < L; l++) {
        for (let b = 0; b < B; b++) {
          const length = cases[b].input_ids.length;
          for (let h = 0; h < heads; h++) {
            for (let q = 0; q < S; q++) {
              const row = (((l * B + b) * heads + h) * S + q) * S;
              let sum = 0;
              for (let k = 0; k < S; k++) {
                sum += data[row + k];
                if (k >= length) paddingMass = Math.max(paddingMass, data[row + k]);
                else minOnTokens = Math.min(minOnTokens, data[row + k]);
              }
              worstRow = Math.max(worstRow, Math.abs(sum - 1));
            }
          }
        }
      }
      assert.ok(S > Math.min(...cases.map((c) => c.input_ids.length)), 'the batch has padding');
      assert.ok(worstRow <= 1e-5, `a row sums to 1 ± ${worstRow}`);
      assert.equal(paddingMass, 0, 'padding keys get no attention');
      assert.ok(minOnTokens > 0, 'every real key gets some attention');
      // The probabilities are an extra output: the others do not move.
      assert.ok(maxAbsDiff(withMaps.outputs.sequence_output.data as Float32Array, without.outputs.sequence_output.data as Float32Array) <= 1e-5);
      assert.ok(maxAbsDiff(withMaps.outputs.mlm_logits.data as Float32Array, without.outputs.mlm_logits.data as Float32Array) <= 1e-4);
    });
  }

  test('both variants return the same probabilities, and they depend on the input', async () => {
    const checkpoint = await loadCheckpoint(join(FIXTURES, 'chinese'));
    const cases = fixtureCases('chinese');
    const sequences = cases.map((c) => ({ ids: c.input_ids, types: c.token_type_ids, positions: c.mlm_positions }));
    const standard = await runGraph(buildBertGraph(checkpoint.config, checkpoint.weights, { variant: 'standard', attentions: true }), sequences);
    const fused = await runGraph(buildBertGraph(checkpoint.config, checkpoint.weights, { variant: 'fused', attentions: true }), sequences);
    const a = standard.outputs.attentions.data as Float32Array;
    assert.ok(maxAbsDiff(a, fused.outputs.attentions.data as Float32Array) <= 1e-5);
    const changed = sequences.map((s) => ({ ...s, types: s.types.map(() => 0) }));
    const other = await runGraph(buildBertGraph(checkpoint.config, checkpoint.weights, { variant: 'standard', attentions: true }), changed);
    assert.ok(maxAbsDiff(a, other.outputs.attentions.data as Float32Array) > 1e-3, 'segment ids changed nothing');
  });
});

describe('layer_means output', () => {
  /** Mean of `sequence_output` row b over its first `length` positions: (B, S, H) → H values. */
  function maskedMean(tensor: ort.Tensor, b: number, length: number): Float32Array {
    const [, S, H] = tensor.dims;
    const data = tensor.data as Float32Array;
    const mean = new Float32Array(H);
    for (let t = 0; t < length; t++) for (let h = 0; h < H; h++) mean[h] += data[(b * S + t) * H + h] / length;
    return mean;
  }
  const slice = (tensor: ort.Tensor, b: number, state: number) => {
    const [, states, H] = tensor.dims;
    return (tensor.data as Float32Array).subarray((b * states + state) * H, (b * states + state + 1) * H);
  };
  const combinations: Array<Pick<BertGraphOptions, 'variant' | 'precision' | 'attentions'>> = [
    { variant: 'standard', precision: 'fp32' },
    { variant: 'fused', precision: 'fp32' },
    { variant: 'fused', precision: 'fp32', attentions: true },
    { variant: 'standard', precision: 'int8' },
    { variant: 'fused', precision: 'int8' },
    { variant: 'standard', precision: 'fp16' },
    { variant: 'fused', precision: 'fp16' },
  ];
  for (const options of combinations) {
    const label = `${options.variant} ${options.precision}${options.attentions ? ' + attentions' : ''}`;
    test(`${label}: [batch, layers + 1, hidden] float32, last slice = masked mean of sequence_output, padding-invariant`, async (t) => {
      const checkpoint = await loadCheckpoint(join(FIXTURES, 'legacy-pretraining'));
      const { config } = checkpoint;
      const cases = fixtureCases('legacy-pretraining');
      const sequences = cases.map((c) => ({ ids: c.input_ids, types: c.token_type_ids, positions: c.mlm_positions }));
      const graph = buildBertGraph(config, checkpoint.weights, { heads: checkpoint.heads, layerMeans: true, ...options });
      const got = await runGraph(graph, sequences);
      const means = got.outputs.layer_means;
      const [L, H] = [config.numHiddenLayers, config.hiddenSize];
      assert.equal(means.type, 'float32');
      assert.deepEqual(means.dims, [cases.length, L + 1, H]);
      assert.ok((means.data as Float32Array).every(Number.isFinite));
      assert.ok(Math.max(...sequences.map((s) => s.ids.length)) > Math.min(...sequences.map((s) => s.ids.length)), 'the batch has padding');

      // Its own sequence_output, averaged over the real tokens (fp16 computes both in float16).
      const consistency = options.precision === 'fp16' ? 5e-3 : 1e-5;
      let worst = 0;
      sequences.forEach((s, b) => (worst = Math.max(worst, maxAbsDiff(slice(means, b, L), maskedMean(got.outputs.sequence_output, b, s.ids.length)))));
      assert.ok(worst <= consistency, `last slice vs masked mean of sequence_output: max |Δ| ${worst}`);

      // Padding-invariant: the shortest text alone (no padding) vs in the batch (padded to the longest).
      const shortest = sequences.reduce((best, s, b) => (s.ids.length < sequences[best].ids.length ? b : best), 0);
      const alone = (await runGraph(graph, [sequences[shortest]])).outputs.layer_means;
      // int8 quantizes activations per tensor, so the batch's other rows move a padded row a little.
      const padding = options.precision === 'int8' ? 0.1 : options.precision === 'fp16' ? 5e-3 : 1e-5; // int8 measured 3.6e-2
      let paddingWorst = 0;
      for (let state = 0; state <= L; state++) paddingWorst = Math.max(paddingWorst, maxAbsDiff(slice(alone, 0, state), slice(means, shortest, state)));
      assert.ok(paddingWorst <= padding, `with vs without padding: max |Δ| ${paddingWorst}`);

      // Close to the float32 standard graph (precision and operator changes only).
      const fp32 = (await runGraph(buildBertGraph(config, checkpoint.weights, { heads: checkpoint.heads, layerMeans: true }), sequences)).outputs.layer_means;
      const drift = maxAbsDiff(means.data as Float32Array, fp32.data as Float32Array);
      const allowed = options.precision === 'int8' ? 0.25 : options.precision === 'fp16' ? 2e-2 : 1e-4;
      assert.ok(drift <= allowed, `vs standard fp32: max |Δ| ${drift}`);
      t.diagnostic(`${label}: consistency ${worst.toExponential(2)}, padding ${paddingWorst.toExponential(2)}, vs fp32 ${drift.toExponential(2)}`);
    });
  }
});

describe('gelu_new (tanh approximation)', () => {
  test('config names map to it; standard and fused graphs agree; it differs from exact GELU (parity: the gelu-new fixture above)', async () => {
    const base = { vocab_size: 10, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16 };
    for (const name of ['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast']) assert.equal(parseBertConfig({ ...base, hidden_act: name }, 'x').hiddenAct, 'gelu_new');
    assert.equal(parseBertConfig({ ...base, hidden_act: 'gelu_python' }, 'x').hiddenAct, 'gelu');

    const tanh = randomModel(21, 'gelu_new');
    const exact = { ...tanh, config: { ...tanh.config, hiddenAct: 'gelu' as const } };
    const standard = await runGraph(buildBertGraph(tanh.config, tanh.weights, { variant: 'standard' }), tanh.sequences);
    const fused = await runGraph(buildBertGraph(tanh.config, tanh.weights, { variant: 'fused' }), tanh.sequences);
    const erf = await runGraph(buildBertGraph(exact.config, exact.weights, { variant: 'standard' }), tanh.sequences);
    const seq = (r: RunResult) => r.outputs.sequence_output.data as Float32Array;
    assert.ok(maxAbsDiff(seq(standard), seq(fused)) <= 1e-4, `standard vs fused ${maxAbsDiff(seq(standard), seq(fused))}`);
    assert.ok(maxAbsDiff(seq(standard), seq(erf)) > 1e-4, 'gelu_new computed the exact GELU');
  });
});

describe('bert-lens import --quantize / --variant', () => {
  function context() {
    const stdout = new PassThrough();
    const chunks: string[] = [];
    stdout.on('data', (chunk) => chunks.push(String(chunk)));
    return { ctx: { stdout, stderr: new PassThrough(), cwd: work, packageRoot: resolve(__dirname, '../..') }, output: () => chunks.join('') };
  }

  test('writes the requested precision and variant, and the default is standard fp32', async () => {
    const source = join(FIXTURES, 'legacy-pretraining');
    const runs: Array<[string[], string, string]> = [
      [[], 'standard', 'fp32'],
      [['--quantize', 'int8', '--variant', 'fused'], 'fused', 'int8'],
      [['--variant', 'fused'], 'fused', 'fp32'],
      [['--quantize', 'fp16', '--variant', 'standard'], 'standard', 'fp16'],
      [['--quantize', 'none', '--variant', 'standard'], 'standard', 'fp32'],
    ];
    const sizes: Record<string, number> = {};
    for (const [flags, variant, precision] of runs) {
      const { ctx, output } = context();
      const out = join(work, `import-${variant}-${precision}`);
      assert.equal(await runImport([source, '--out', out, '--json', ...flags], ctx), 0);
      const json = JSON.parse(output());
      assert.equal(json.variant, variant);
      assert.equal(json.precision, precision);
      sizes[`${variant}-${precision}`] = json.onnxBytes;
    }
    assert.ok(sizes['fused-int8'] < sizes['fused-fp32'] && sizes['standard-fp16'] < sizes['standard-fp32']);
    await assert.rejects(runImport([source, '--quantize', 'int4'], context().ctx), UsageError);
    await assert.rejects(runImport([source, '--variant', 'webgpu'], context().ctx), UsageError);
  });

  test('compileCheckpoint stores precision and variant in the model metadata', async () => {
    const out = join(work, 'compiled-int8');
    const result = await compileCheckpoint(join(FIXTURES, 'sequence-classifier'), out, { variant: 'standard', precision: 'int8' });
    const session = await ort.InferenceSession.create(join(out, 'model.onnx'));
    await session.release();
    const { onnx } = await import('onnx-proto');
    const props = Object.fromEntries(onnx.ModelProto.decode(readFileSync(join(out, 'model.onnx'))).metadataProps!.map((p) => [p.key, p.value]));
    assert.equal(props['bert_lens.precision'], 'int8');
    assert.equal(props['bert_lens.graph_variant'], 'standard');
    assert.equal(result.precision, 'int8');
  });
});
