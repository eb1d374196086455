/**
 * Tests of the BERT ONNX graph builder, the tiny-bert fixture and parseBertConfig. The graph
 * runs on onnxruntime-node and is compared with an independent plain-TypeScript reference
 * forward pass of BertForPreTraining (float64) on the same seeded weights, the `layer_means`
 * output included (masked means of every hidden state of the reference).
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { makeTinyBertFixture, TINY_BERT_DIR } from '../../scripts/make-fixture-model';
import { parseBertConfig, type BertConfig } from '../../src/model/model-config';
import { BERT_GRAPH_INPUTS, BERT_GRAPH_OUTPUTS, buildBertGraph } from '../../src/model/onnx/bert-graph';
import { BERT_WEIGHT_NAMES, canonicalBertWeightName, type WeightMap } from '../../src/model/onnx/bert-weights';
import { randomBertWeights } from '../../src/model/onnx/random-bert-weights';

const FIXTURE_DIR = resolve(__dirname, '../..', TINY_BERT_DIR);
const MODEL_PATH = join(FIXTURE_DIR, 'model.onnx');

// ---------------------------------------------------------------------------------------
// Reference forward pass: BertForPreTraining written out loop by loop, in float64.
// ---------------------------------------------------------------------------------------

interface BertInputs {
  inputIds: number[][];
  tokenTypeIds: number[][];
  attentionMask: number[][];
  mlmPositions: number[][];
}

interface BertOutputs {
  mlmLogits: number[][][];
  nspLogits: number[][];
  pooledOutput: number[][];
  sequenceOutput: number[][][];
  /** Per batch row: the embedding output, then each layer's output, each [seq][hidden]. */
  hiddenStates: number[][][][];
}

interface ReferenceOptions {
  /** A deliberately wrong variant, used to show the comparison can fail. */
  skipAttentionScaling?: boolean;
}

/** erf to ~1e-10: Maclaurin series below |x| = 4, asymptotic erfc beyond. */
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 4) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  const inv2 = 1 / (2 * ax * ax);
  const erfc = (Math.exp(-ax * ax) / (ax * Math.sqrt(Math.PI))) * (1 - inv2 + 3 * inv2 * inv2);
  return Math.sign(x) * (1 - erfc);
}

const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));

function referenceForward(config: BertConfig, weights: WeightMap, inputs: BertInputs, options: ReferenceOptions = {}): BertOutputs {
  const w = (name: string) => {
    const tensor = weights.get(name);
    if (!tensor) throw new Error(`reference: missing ${name}`);
    return tensor.data;
  };
  const H = config.hiddenSize;
  const heads = config.numAttentionHeads;
  const d = H / heads;

  /** y = W x + b with W stored [out, in] as PyTorch does. */
  const linear = (x: number[], names: { weight: string; bias: string }): number[] => {
    const W = w(names.weight);
    const b = w(names.bias);
    const inDim = x.length;
    const out: number[] = [];
    for (let o = 0; o < b.length; o++) {
      let s = b[o];
      for (let i = 0; i < inDim; i++) s += W[o * inDim + i] * x[i];
      out.push(s);
    }
    return out;
  };
  const layerNorm = (x: number[], names: { weight: string; bias: string }): number[] => {
    const g = w(names.weight);
    const b = w(names.bias);
    const mean = x.reduce((a, v) => a + v, 0) / x.length;
    const variance = x.reduce((a, v) => a + (v - mean) ** 2, 0) / x.length;
    const denom = Math.sqrt(variance + config.layerNormEps);
    return x.map((v, i) => ((v - mean) / denom) * g[i] + b[i]);
  };
  const add = (a: number[], b: number[]) => a.map((v, i) => v + b[i]);

  const names = BERT_WEIGHT_NAMES;
  const result: BertOutputs = { mlmLogits: [], nspLogits: [], pooledOutput: [], sequenceOutput: [], hiddenStates: [] };
  for (let batch = 0; batch < inputs.inputIds.length; batch++) {
    const ids = inputs.inputIds[batch];
    const S = ids.length;
    const words = w(names.wordEmbeddings);
    const positionsTable = w(names.positionEmbeddings);
    const typesTable = w(names.tokenTypeEmbeddings);
    let hidden: number[][] = ids.map((id, t) => {
      const type = inputs.tokenTypeIds[batch][t];
      const e: number[] = [];
      for (let k = 0; k < H; k++) e.push(words[id * H + k] + typesTable[type * H + k] + positionsTable[t * H + k]);
      return layerNorm(e, names.embeddingsLayerNorm);
    });
    const maskOffset = inputs.attentionMask[batch].map((m) => (1 - m) * -10000);
    const states = [hidden];

    for (let l = 0; l < config.numHiddenLayers; l++) {
      const layer = names.layer(l);
      const q = hidden.map((h) => linear(h, layer.query));
      const k = hidden.map((h) => linear(h, layer.key));
      const v = hidden.map((h) => linear(h, layer.value));
      const context: number[][] = hidden.map(() => new Array<number>(H).fill(0));
      for (let head = 0; head < heads; head++) {
        for (let i = 0; i < S; i++) {
          const scores: number[] = [];
          for (let j = 0; j < S; j++) {
            let dot = 0;
            for (let c = head * d; c < (head + 1) * d; c++) dot += q[i][c] * k[j][c];
            scores.push((options.skipAttentionScaling ? dot : dot / Math.sqrt(d)) + maskOffset[j]);
          }
          const max = Math.max(...scores);
          const exps = scores.map((s) => Math.exp(s - max));
          const total = exps.reduce((a, b) => a + b, 0);
          for (let j = 0; j < S; j++) {
            const p = exps[j] / total;
            for (let c = head * d; c < (head + 1) * d; c++) context[i][c] += p * v[j][c];
          }
        }
      }
      const attention = hidden.map((h, i) => layerNorm(add(linear(context[i], layer.attentionOutput), h), layer.attentionLayerNorm));
      hidden = attention.map((a) => {
        const intermediate = linear(a, layer.intermediate).map(gelu);
        return layerNorm(add(linear(intermediate, layer.output), a), layer.outputLayerNorm);
      });
      states.push(hidden);
    }
    result.hiddenStates.push(states);

    const pooled = linear(hidden[0], names.pooler).map(Math.tanh);
    const decoderBias = w(names.mlmDecoderBias);
    result.sequenceOutput.push(hidden);
    result.pooledOutput.push(pooled);
    result.nspLogits.push(linear(pooled, names.nsp));
    result.mlmLogits.push(
      inputs.mlmPositions[batch].map((position) => {
        const t = layerNorm(linear(hidden[position], names.mlmTransform).map(gelu), names.mlmTransformLayerNorm);
        const logits: number[] = [];
        for (let vocab = 0; vocab < config.vocabSize; vocab++) {
          let s = decoderBias[vocab];
          for (let c = 0; c < H; c++) s += words[vocab * H + c] * t[c];
          logits.push(s);
        }
        return logits;
      }),
    );
  }
  return result;
}

// ---------------------------------------------------------------------------------------
// Running the graph
// ---------------------------------------------------------------------------------------

function int64Tensor(rows: number[][]): ort.Tensor {
  const width = rows[0]?.length ?? 0;
  return new ort.Tensor('int64', BigInt64Array.from(rows.flat(), (v) => BigInt(v)), [rows.length, width]);
}

function feeds(inputs: BertInputs): Record<string, ort.Tensor> {
  return {
    [BERT_GRAPH_INPUTS.inputIds]: int64Tensor(inputs.inputIds),
    [BERT_GRAPH_INPUTS.tokenTypeIds]: int64Tensor(inputs.tokenTypeIds),
    [BERT_GRAPH_INPUTS.attentionMask]: int64Tensor(inputs.attentionMask),
    [BERT_GRAPH_INPUTS.mlmPositions]: int64Tensor(inputs.mlmPositions),
  };
}

async function run(session: ort.InferenceSession, inputs: BertInputs) {
  return session.run(feeds(inputs));
}

/** Largest |a - b| over a float32 output and nested reference arrays of the same layout. */
function maxAbsDiff(actual: ort.Tensor, expected: number[] | number[][] | number[][][]): number {
  const flat = (expected as unknown[]).flat(2) as number[];
  const data = actual.data as Float32Array;
  assert.equal(data.length, flat.length, 'output size differs from the reference');
  let max = 0;
  for (let i = 0; i < flat.length; i++) max = Math.max(max, Math.abs(data[i] - flat[i]));
  return max;
}

function maxAbs(values: number[] | number[][] | number[][][]): number {
  return ((values as unknown[]).flat(2) as number[]).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

function compareWithReference(outputs: ort.InferenceSession.OnnxValueMapType, reference: BertOutputs, tolerance: number) {
  const diffs = {
    mlm_logits: maxAbsDiff(outputs[BERT_GRAPH_OUTPUTS.mlmLogits], reference.mlmLogits),
    nsp_logits: maxAbsDiff(outputs[BERT_GRAPH_OUTPUTS.nspLogits], reference.nspLogits),
    pooled_output: maxAbsDiff(outputs[BERT_GRAPH_OUTPUTS.pooledOutput], reference.pooledOutput),
    sequence_output: maxAbsDiff(outputs[BERT_GRAPH_OUTPUTS.sequenceOutput], reference.sequenceOutput),
  };
  for (const [name, diff] of Object.entries(diffs)) {
    assert.ok(diff <= tolerance, `${name}: max |Δ| ${diff} > ${tolerance}`);
  }
  return diffs;
}

/** Batch 2, seq 7; row 1 is padded after 5 tokens; both segments used. */
const BATCH: BertInputs = {
  inputIds: [
    [101, 1996, 3007, 103, 2605, 102, 1012],
    [101, 7592, 2088, 102, 2017, 0, 0],
  ],
  tokenTypeIds: [
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 1, 0, 0],
  ],
  attentionMask: [
    [1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1, 0, 0],
  ],
  mlmPositions: [
    [3, 1],
    [2, 4],
  ],
};

// ---------------------------------------------------------------------------------------

test('the reference erf matches tabulated values', () => {
  const table: Array<[number, number]> = [
    [0, 0],
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [-2, -0.9953222650189527],
    [3, 0.9999779095030014],
    [4.5, 0.9999999998033839],
  ];
  for (const [x, expected] of table) assert.ok(Math.abs(erf(x) - expected) < 1e-9, `erf(${x}) = ${erf(x)}`);
});

describe('tiny-bert fixture', () => {
  const fixture = makeTinyBertFixture();
  let session: ort.InferenceSession;

  test('is what make-fixture-model.ts builds now (byte for byte)', () => {
    const onDisk = readFileSync(MODEL_PATH);
    assert.ok(Buffer.from(fixture.modelBytes).equals(onDisk), 'model.onnx is stale: rerun scripts/make-fixture-model.ts');
    assert.equal(readFileSync(join(FIXTURE_DIR, 'config.json'), 'utf8'), fixture.configText);
    assert.ok(Buffer.from(makeTinyBertFixture().modelBytes).equals(onDisk), 'the builder is not deterministic');
  });

  test('config.json parses to the tiny config', () => {
    const config = parseBertConfig(JSON.parse(readFileSync(join(FIXTURE_DIR, 'config.json'), 'utf8')), 'tiny-bert');
    assert.deepEqual(config, fixture.config);
    assert.equal(config.vocabSize, 30522);
    assert.equal(config.hiddenSize, 32);
  });

  test('uses opset 17, standard operators only, and stores the word embeddings once', () => {
    const model = onnx.ModelProto.decode(fixture.modelBytes);
    const graph = model.graph ?? assert.fail('model has no graph');
    assert.deepEqual(
      model.opsetImport.map((o) => [o.domain, Number(o.version)]),
      [['', 17]],
    );
    assert.ok((graph.node ?? []).every((n) => !n.domain), 'a node uses a non-standard domain');
    const { vocabSize, hiddenSize } = fixture.config;
    const dimsOf = (t: onnx.ITensorProto) => (t.dims ?? []).map(Number);
    const vocabSized = (graph.initializer ?? []).filter((t) => dimsOf(t).length === 2 && dimsOf(t).includes(vocabSize));
    assert.deepEqual(
      vocabSized.map((t) => t.name),
      [BERT_WEIGHT_NAMES.wordEmbeddings],
    );
    assert.deepEqual(dimsOf(vocabSized[0]), [vocabSize, hiddenSize]);
    assert.ok(fixture.modelBytes.length < 5_000_000, `model.onnx is ${fixture.modelBytes.length} bytes`);
  });

  test('session loads with the I/O contract', async () => {
    session = await ort.InferenceSession.create(MODEL_PATH);
    assert.deepEqual(session.inputNames, ['input_ids', 'token_type_ids', 'attention_mask', 'mlm_positions']);
    assert.deepEqual(session.outputNames, ['mlm_logits', 'nsp_logits', 'pooled_output', 'sequence_output']);
  });

  test('output shapes and dtypes for batch 2, seq 7 with padding', async () => {
    const out = await run(session, BATCH);
    const expected: Record<string, number[]> = {
      mlm_logits: [2, 2, 30522],
      nsp_logits: [2, 2],
      pooled_output: [2, 32],
      sequence_output: [2, 7, 32],
    };
    for (const [name, dims] of Object.entries(expected)) {
      assert.equal(out[name].type, 'float32', name);
      assert.deepEqual(out[name].dims, dims, name);
      assert.ok((out[name].data as Float32Array).every(Number.isFinite), `${name} has non-finite values`);
    }
  });

  test('no positions gives empty mlm_logits', async () => {
    const out = await run(session, { ...BATCH, mlmPositions: [[], []] });
    assert.deepEqual(out.mlm_logits.dims, [2, 0, 30522]);
  });

  test('logits at a position do not depend on the other gathered positions', async () => {
    const row = { inputIds: [BATCH.inputIds[0]], tokenTypeIds: [BATCH.tokenTypeIds[0]], attentionMask: [BATCH.attentionMask[0]] };
    const both = await run(session, { ...row, mlmPositions: [[3, 1]] });
    const alone = await run(session, { ...row, mlmPositions: [[1]] });
    const V = 30522;
    const pairData = both.mlm_logits.data as Float32Array;
    const aloneData = alone.mlm_logits.data as Float32Array;
    let diff = 0;
    for (let v = 0; v < V; v++) diff = Math.max(diff, Math.abs(pairData[V + v] - aloneData[v]));
    assert.ok(diff < 1e-5, `max |Δ| ${diff}`);
    // Position 3 and position 1 really are different rows (the gather is not a no-op).
    let between = 0;
    for (let v = 0; v < V; v++) between = Math.max(between, Math.abs(pairData[v] - pairData[V + v]));
    assert.ok(between > 1e-3, `positions 3 and 1 give the same logits (max |Δ| ${between})`);
  });

  test('padding does not change the real tokens of the padded row', async () => {
    const padded = await run(session, BATCH);
    const length = 5;
    const alone = await run(session, {
      inputIds: [BATCH.inputIds[1].slice(0, length)],
      tokenTypeIds: [BATCH.tokenTypeIds[1].slice(0, length)],
      attentionMask: [BATCH.attentionMask[1].slice(0, length)],
      mlmPositions: [BATCH.mlmPositions[1]],
    });
    const H = 32;
    const seq = padded.sequence_output.data as Float32Array;
    const seqAlone = alone.sequence_output.data as Float32Array;
    let diff = 0;
    for (let t = 0; t < length; t++) {
      for (let c = 0; c < H; c++) diff = Math.max(diff, Math.abs(seq[(7 + t) * H + c] - seqAlone[t * H + c]));
    }
    const tail = (name: string, size: number) => {
      const a = padded[name].data as Float32Array;
      const b = alone[name].data as Float32Array;
      let m = 0;
      for (let i = 0; i < size; i++) m = Math.max(m, Math.abs(a[size + i] - b[i]));
      return m;
    };
    diff = Math.max(diff, tail('pooled_output', H), tail('nsp_logits', 2), tail('mlm_logits', 2 * 30522));
    assert.ok(diff < 1e-4, `max |Δ| ${diff}`);
  });

  test('is deterministic across runs', async () => {
    const a = await run(session, BATCH);
    const b = await run(session, BATCH);
    for (const name of session.outputNames) {
      assert.deepEqual(a[name].data, b[name].data, name);
    }
  });

  for (const level of ['all', 'disabled'] as const) {
    test(`matches the reference forward pass (graph optimization ${level})`, async (t) => {
      const optimized = await ort.InferenceSession.create(MODEL_PATH, { graphOptimizationLevel: level });
      const reference = referenceForward(fixture.config, fixture.weights, BATCH);
      const diffs = compareWithReference(await run(optimized, BATCH), reference, 1e-4);
      t.diagnostic(`max |Δ| ${JSON.stringify(diffs)}`);
      await optimized.release();
    });
  }
});

describe('buildBertGraph against the reference with large random weights', () => {
  // Large weights, random LayerNorm parameters and biases, 3 segments, 4 heads: a wrong
  // scale, a dropped bias, a swapped head layout or a mis-tied decoder all show up here.
  const config = parseBertConfig(
    {
      architectures: ['BertForPreTraining'],
      model_type: 'bert',
      vocab_size: 97,
      hidden_size: 24,
      num_hidden_layers: 3,
      num_attention_heads: 4,
      intermediate_size: 40,
      max_position_embeddings: 16,
      type_vocab_size: 3,
      layer_norm_eps: 1e-5,
      hidden_act: 'gelu',
    },
    'stress config',
  );
  const weights = randomBertWeights(config, { seed: 7, std: 0.25, biasStd: 0.3, layerNormStd: 0.3 });
  const inputs: BertInputs = {
    inputIds: [
      [2, 50, 96, 13, 0, 77, 3, 41, 8],
      [2, 64, 1, 3, 90, 91, 3, 0, 0],
      [2, 5, 3, 0, 0, 0, 0, 0, 0],
    ],
    tokenTypeIds: [
      [0, 0, 0, 0, 1, 1, 1, 2, 2],
      [0, 0, 0, 0, 1, 1, 1, 0, 0],
      [0, 2, 2, 0, 0, 0, 0, 0, 0],
    ],
    attentionMask: [
      [1, 1, 1, 1, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 1, 1, 0, 0],
      [1, 1, 1, 0, 0, 0, 0, 0, 0],
    ],
    mlmPositions: [
      [8, 0, 4],
      [1, 1, 6],
      [2, 0, 1],
    ],
  };

  test('matches within 1e-4 relative to the output scale, and a wrong reference does not', async (t) => {
    const session = await ort.InferenceSession.create(buildBertGraph(config, weights));
    const outputs = await run(session, inputs);
    const reference = referenceForward(config, weights, inputs);
    const scale = Math.max(1, maxAbs(reference.mlmLogits), maxAbs(reference.nspLogits));
    const diffs = compareWithReference(outputs, reference, 1e-4 * scale);

    const wrong = referenceForward(config, weights, inputs, { skipAttentionScaling: true });
    const wrongDiff = maxAbsDiff(outputs[BERT_GRAPH_OUTPUTS.mlmLogits], wrong.mlmLogits);
    assert.ok(wrongDiff > 100 * Math.max(diffs.mlm_logits, 1e-4 * scale), `the comparison cannot tell a wrong model (${wrongDiff})`);
    t.diagnostic(`output scale ${scale.toFixed(2)}, max |Δ| ${JSON.stringify(diffs)}, unscaled-attention reference off by ${wrongDiff.toFixed(3)}`);
    await session.release();
  });

  test('layer_means: the masked mean of every hidden state of the reference, in both variants', async (t) => {
    const L = config.numHiddenLayers;
    const reference = referenceForward(config, weights, inputs);
    // [batch][L + 1][hidden]: mean over the positions with attention mask 1.
    const expected = reference.hiddenStates.map((states, b) => {
      const tokens = inputs.attentionMask[b].flatMap((m, i) => (m === 1 ? [i] : []));
      return states.map((state) => state[0].map((_, h) => tokens.reduce((sum, i) => sum + state[i][h], 0) / tokens.length));
    });
    const scale = Math.max(1, maxAbs(expected));
    for (const variant of ['standard', 'fused'] as const) {
      const session = await ort.InferenceSession.create(buildBertGraph(config, weights, { variant, layerMeans: true }));
      assert.ok(session.outputNames.includes(BERT_GRAPH_OUTPUTS.layerMeans));
      const outputs = await run(session, inputs);
      const means = outputs[BERT_GRAPH_OUTPUTS.layerMeans];
      assert.equal(means.type, 'float32');
      assert.deepEqual(means.dims, [inputs.inputIds.length, L + 1, config.hiddenSize]);
      const diff = maxAbsDiff(means, expected);
      assert.ok(diff <= 1e-4 * scale, `${variant}: max |Δ| ${diff}`);
      // The other outputs do not move.
      compareWithReference(outputs, reference, 1e-4 * Math.max(scale, maxAbs(reference.mlmLogits)));
      t.diagnostic(`${variant}: layer_means max |Δ| ${diff.toExponential(2)} (scale ${scale.toFixed(2)})`);
      await session.release();
    }
    // Not trivially equal across layers: each slice is its own hidden state.
    assert.ok(Math.max(...expected[0][0].map((v, h) => Math.abs(v - expected[0][L][h]))) > 1e-2, 'embedding and last-layer means coincide');
  });

  test('layer_means is off by default: no output, no metadata, the same bytes as before', () => {
    const properties = (bytes: Uint8Array) => Object.fromEntries(onnx.ModelProto.decode(bytes).metadataProps!.map((p) => [p.key, p.value]));
    const outputs = (bytes: Uint8Array) => onnx.ModelProto.decode(bytes).graph!.output!.map((o) => o.name);
    const plain = buildBertGraph(config, weights);
    assert.ok(Buffer.from(buildBertGraph(config, weights, { layerMeans: false })).equals(plain));
    assert.ok(!outputs(plain).includes('layer_means'));
    assert.equal(properties(plain)['bert_lens.layer_means'], undefined);
    const withMeans = buildBertGraph(config, weights, { layerMeans: true });
    assert.ok(outputs(withMeans).includes('layer_means'));
    assert.equal(properties(withMeans)['bert_lens.layer_means'], 'true');
  });

  test('rejects missing and misshapen weights, naming them', () => {
    const broken = new Map(weights);
    broken.delete(BERT_WEIGHT_NAMES.layer(1).key.bias);
    broken.set(BERT_WEIGHT_NAMES.pooler.weight, { dims: [24, 25], data: new Float32Array(24 * 25) });
    assert.throws(
      () => buildBertGraph(config, broken),
      (e: Error) =>
        e.message.includes('missing bert.encoder.layer.1.attention.self.key.bias') &&
        e.message.includes('bert.pooler.dense.weight has shape [24, 25], expected [24, 24]'),
    );
  });
});

describe('canonicalBertWeightName', () => {
  test('maps legacy and prefix-less names onto BertForPreTraining names', () => {
    assert.equal(canonicalBertWeightName('embeddings.LayerNorm.gamma'), 'bert.embeddings.LayerNorm.weight');
    assert.equal(canonicalBertWeightName('encoder.layer.3.output.LayerNorm.beta'), 'bert.encoder.layer.3.output.LayerNorm.bias');
    assert.equal(canonicalBertWeightName('bert.pooler.dense.weight'), 'bert.pooler.dense.weight');
    assert.equal(canonicalBertWeightName('cls.predictions.decoder.bias'), 'cls.predictions.bias');
    assert.equal(canonicalBertWeightName('cls.predictions.decoder.weight'), undefined);
    assert.equal(canonicalBertWeightName('bert.embeddings.position_ids'), undefined);
  });
});

describe('parseBertConfig', () => {
  const base = {
    vocab_size: 100,
    hidden_size: 8,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    intermediate_size: 16,
  };
  const parse = (extra: Record<string, unknown>, omit?: string) => {
    const json: Record<string, unknown> = { ...base, ...extra };
    if (omit) delete json[omit];
    return parseBertConfig(json, 'x/config.json');
  };

  test('applies transformers defaults for optional fields', () => {
    const config = parse({});
    assert.equal(config.layerNormEps, 1e-12);
    assert.equal(config.typeVocabSize, 2);
    assert.equal(config.maxPositionEmbeddings, 512);
    assert.equal(config.hiddenAct, 'gelu');
    assert.deepEqual(config.architectures, []);
    assert.equal(config.id2label, undefined);
  });

  test('reads id2label into an array by id', () => {
    const config = parse({ id2label: { '1': 'POSITIVE', '0': 'NEGATIVE' }, architectures: ['BertForSequenceClassification'] });
    assert.deepEqual(config.id2label, ['NEGATIVE', 'POSITIVE']);
  });

  const errors: Array<[string, () => unknown, RegExp]> = [
    ['not an object', () => parseBertConfig([1], 'x/config.json'), /x\/config\.json: expected a JSON object/],
    ['missing hidden_size', () => parse({}, 'hidden_size'), /missing required field "hidden_size"/],
    ['missing vocab_size', () => parse({}, 'vocab_size'), /missing required field "vocab_size"/],
    ['fractional layers', () => parse({ num_hidden_layers: 1.5 }), /"num_hidden_layers" must be a positive integer, got 1\.5/],
    ['string size', () => parse({ intermediate_size: '16' }), /"intermediate_size" must be a positive integer/],
    ['relu', () => parse({ hidden_act: 'relu' }), /unsupported hidden_act "relu"/],
    ['quick_gelu', () => parse({ hidden_act: 'quick_gelu' }), /unsupported hidden_act "quick_gelu"/],
    ['heads do not divide hidden', () => parse({ num_attention_heads: 3 }), /hidden_size 8 is not a multiple of num_attention_heads 3/],
    ['other model type', () => parse({ model_type: 'roberta' }), /unsupported model_type "roberta"/],
    ['other architecture', () => parse({ architectures: ['GPT2LMHeadModel'] }), /unsupported architecture GPT2LMHeadModel/],
    ['relative positions', () => parse({ position_embedding_type: 'relative_key' }), /position_embedding_type "relative_key"/],
    ['bad epsilon', () => parse({ layer_norm_eps: -1 }), /"layer_norm_eps" must be a positive number/],
    ['bad id2label key', () => parse({ id2label: { '0': 'a', '2': 'b' } }), /"id2label" keys must be the ids 0\.\.1, got "2"/],
  ];
  for (const [name, call, message] of errors) {
    test(`rejects ${name}`, () => assert.throws(call, message));
  }
});
