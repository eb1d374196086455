/**
 * Parity of compiled checkpoints with the PyTorch reference (training/reference/): each golden
 * fixture under test/fixtures/checkpoints/ is compiled by src/model/compile.ts, tokenized by the
 * engine's tokenizer (ids must equal the reference tokenizer's) and run on onnxruntime-node,
 * batched with padding; MLM / NSP / classifier probabilities and the pooled output must agree
 * with the reference within 1e-4. Compiled as imports are (with `layer_means`) they still agree,
 * and the means are those of sequence_output and of the embeddings computed here from the
 * checkpoint's weights. Also: how checkpoint folders with missing heads, a
 * tokenizer.json instead of vocab.txt, shards, or only a pickled .bin are handled.
 */
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { fillMask, loadModel, readModelFolder, BertTokenizer, disposeAllModels } from '../../src/engine';
import { inspectCheckpoint, loadCheckpoint } from '../../src/model/checkpoint';
import { compileCheckpoint, IMPORT_COMPILE_OPTIONS } from '../../src/model/compile';
import { BERT_WEIGHT_NAMES } from '../../src/model/onnx/bert-weights';
import { encodeSafetensors, SafetensorsFile, type TensorToWrite } from '../../src/model/safetensors';

const FIXTURES = resolve(__dirname, '../../test/fixtures/checkpoints');
const TOLERANCE = 1e-4;
const work = mkdtempSync(join(tmpdir(), 'bert-lens-parity-'));
after(async () => {
  await disposeAllModels();
  rmSync(work, { recursive: true, force: true });
});

interface FixtureCase {
  text_a: string;
  text_b: string | null;
  tokens: string[];
  input_ids: number[];
  token_type_ids: number[];
  mlm_positions?: number[];
  mlm_probabilities?: number[][];
  nsp_probabilities?: number[];
  classifier_probabilities?: number[];
  pooled_output: number[];
}

interface Expected {
  fixture: string;
  stored_dtype: string;
  heads: { pooler: boolean; mlm: boolean; nsp: boolean; classifier_labels: number };
  labels?: string[];
  cases: FixtureCase[];
}

function softmax(values: ArrayLike<number>): number[] {
  const max = Math.max(...Array.from(values));
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

/** Runs every case in one padded batch on the compiled model.onnx. */
async function runBatch(onnxPath: string, cases: FixtureCase[], tokenTypeOverride?: number) {
  const session = await ort.InferenceSession.create(onnxPath, { executionProviders: ['cpu'] });
  try {
    const batch = cases.length;
    const seq = Math.max(...cases.map((c) => c.input_ids.length));
    const positions = Math.max(1, ...cases.map((c) => c.mlm_positions?.length ?? 0));
    const ids = new BigInt64Array(batch * seq);
    const types = new BigInt64Array(batch * seq);
    const mask = new BigInt64Array(batch * seq);
    const mlm = new BigInt64Array(batch * positions);
    cases.forEach((c, b) => {
      c.input_ids.forEach((id, i) => {
        ids[b * seq + i] = BigInt(id);
        types[b * seq + i] = BigInt(tokenTypeOverride ?? c.token_type_ids[i]);
        mask[b * seq + i] = 1n;
      });
      c.mlm_positions?.forEach((p, j) => (mlm[b * positions + j] = BigInt(p)));
    });
    const all: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [batch, seq]),
      token_type_ids: new ort.Tensor('int64', types, [batch, seq]),
      attention_mask: new ort.Tensor('int64', mask, [batch, seq]),
      mlm_positions: new ort.Tensor('int64', mlm, [batch, positions]),
    };
    const feeds = Object.fromEntries(session.inputNames.map((name) => [name, all[name]]));
    const results = await session.run(feeds);
    const rows = (name: string, width: number) =>
      results[name] ? cases.map((_, b) => (results[name].data as Float32Array).subarray(b * width, (b + 1) * width)) : undefined;
    const vocab = results.mlm_logits?.dims[2] ?? 0;
    const mlmRows = results.mlm_logits
      ? cases.map((c, b) =>
          (c.mlm_positions ?? []).map((_, j) =>
            softmax((results.mlm_logits.data as Float32Array).subarray((b * positions + j) * vocab, (b * positions + j + 1) * vocab)),
          ),
        )
      : undefined;
    return {
      results,
      outputNames: [...session.outputNames].sort(),
      inputNames: [...session.inputNames].sort(),
      mlm: mlmRows,
      nsp: rows('nsp_logits', 2)?.map(softmax),
      pooled: rows('pooled_output', results.pooled_output?.dims[1] ?? 0),
      classifier: results.classifier_logits ? rows('classifier_logits', results.classifier_logits.dims[1])!.map(softmax) : undefined,
    };
  } finally {
    await session.release();
  }
}

const FIXTURE_NAMES = ['legacy-pretraining', 'modern-no-prefix', 'sequence-classifier', 'chinese'];

describe('compiled checkpoints match the PyTorch reference', () => {
  for (const name of FIXTURE_NAMES) {
    test(name, async (t) => {
      const expected = JSON.parse(readFileSync(join(FIXTURES, name, 'expected.json'), 'utf8')) as Expected;
      const out = join(work, name);
      const compiled = await compileCheckpoint(join(FIXTURES, name), out);
      const heads = compiled.checkpoint.heads;
      assert.deepEqual(
        { pooler: heads.pooler, mlm: heads.mlm, nsp: heads.nsp, classifier_labels: heads.classifierLabels },
        expected.heads,
      );
      if (expected.labels) assert.deepEqual(compiled.checkpoint.labels, expected.labels);
      assert.deepEqual(Object.keys(compiled.checkpoint.dtypes), [expected.stored_dtype]);

      // Tokenization: the engine's tokenizer gives the reference tokenizer's ids.
      const tokenizer = await BertTokenizer.fromModelFolder(await readModelFolder(out));
      for (const c of expected.cases) {
        const encoded = await tokenizer.encode(c.text_a, c.text_b ?? undefined);
        assert.deepEqual(encoded.tokens, c.tokens, `tokens of ${JSON.stringify(c.text_a)}`);
        assert.deepEqual(encoded.ids, c.input_ids);
        assert.deepEqual(encoded.typeIds, c.token_type_ids);
      }

      const got = await runBatch(compiled.outDir + '/model.onnx', expected.cases);
      const wantOutputs = ['sequence_output'];
      if (expected.heads.mlm) wantOutputs.push('mlm_logits');
      if (expected.heads.nsp) wantOutputs.push('nsp_logits');
      if (expected.heads.pooler) wantOutputs.push('pooled_output');
      if (expected.heads.classifier_labels) wantOutputs.push('classifier_logits');
      assert.deepEqual(got.outputNames, wantOutputs.sort());
      assert.equal(got.inputNames.includes('mlm_positions'), expected.heads.mlm);

      let worst = 0;
      expected.cases.forEach((c, b) => {
        const check = (what: string, actual: ArrayLike<number>, want: ArrayLike<number>) => {
          const diff = maxAbsDiff(actual, want);
          worst = Math.max(worst, diff);
          assert.ok(diff <= TOLERANCE, `${name} case ${b} ${what}: max |Δ| = ${diff.toExponential(2)}`);
        };
        c.mlm_probabilities?.forEach((row, j) => check(`MLM probabilities at ${c.mlm_positions![j]}`, got.mlm![b][j], row));
        if (c.nsp_probabilities) check('NSP probabilities', got.nsp![b], c.nsp_probabilities);
        if (c.classifier_probabilities) check('classifier probabilities', got.classifier![b], c.classifier_probabilities);
        check('pooled output', got.pooled![b], c.pooled_output);
        // The expectations are far from uniform, so a wrong model cannot pass by accident.
        for (const row of c.mlm_probabilities ?? []) assert.ok(Math.max(...row) > 0.1);
      });
      t.diagnostic(`${name}: max |Δ| ${worst.toExponential(2)} over ${expected.cases.length} cases`);
    });
  }

  test('the comparison notices a changed input (segment ids all 0)', async () => {
    const expected = JSON.parse(readFileSync(join(FIXTURES, 'legacy-pretraining', 'expected.json'), 'utf8')) as Expected;
    const out = join(work, 'control');
    await compileCheckpoint(join(FIXTURES, 'legacy-pretraining'), out);
    const pairs = expected.cases.filter((c) => c.text_b !== null);
    const got = await runBatch(join(out, 'model.onnx'), pairs, 0);
    const diff = Math.max(...pairs.map((c, b) => maxAbsDiff(got.nsp![b], c.nsp_probabilities!)));
    assert.ok(diff > 10 * TOLERANCE, `NSP moved by only ${diff}`);
  });

  test('compiled with layer_means (as imports are): same parity; slice 0 = embeddings, last = sequence_output, masked means', async () => {
    const name = 'legacy-pretraining';
    const expected = JSON.parse(readFileSync(join(FIXTURES, name, 'expected.json'), 'utf8')) as Expected;
    const out = join(work, `${name}-layer-means`);
    await compileCheckpoint(join(FIXTURES, name), out, IMPORT_COMPILE_OPTIONS);
    const got = await runBatch(join(out, 'model.onnx'), expected.cases);
    assert.ok(got.outputNames.includes('layer_means'));
    expected.cases.forEach((c, b) => assert.ok(maxAbsDiff(got.pooled![b], c.pooled_output) <= TOLERANCE, `case ${b} pooled output`));

    const { config, weights } = await loadCheckpoint(join(FIXTURES, name));
    const [L, H] = [config.numHiddenLayers, config.hiddenSize];
    const means = got.results.layer_means;
    const sequence = got.results.sequence_output;
    const S = sequence.dims[1];
    assert.deepEqual(means.dims, [expected.cases.length, L + 1, H]);
    const table = (weight: string) => weights.get(weight)!.data;
    const [words, positions, types] = [table(BERT_WEIGHT_NAMES.wordEmbeddings), table(BERT_WEIGHT_NAMES.positionEmbeddings), table(BERT_WEIGHT_NAMES.tokenTypeEmbeddings)];
    const [gamma, beta] = [table(BERT_WEIGHT_NAMES.embeddingsLayerNorm.weight), table(BERT_WEIGHT_NAMES.embeddingsLayerNorm.bias)];
    let worst = 0;
    expected.cases.forEach((c, b) => {
      const n = c.input_ids.length;
      const embeddingMean = new Array<number>(H).fill(0);
      const lastMean = new Array<number>(H).fill(0);
      c.input_ids.forEach((id, t) => {
        const e = Array.from({ length: H }, (_, h) => words[id * H + h] + positions[t * H + h] + types[c.token_type_ids[t] * H + h]);
        const mu = e.reduce((x, y) => x + y, 0) / H;
        const sd = Math.sqrt(e.reduce((x, y) => x + (y - mu) ** 2, 0) / H + config.layerNormEps);
        e.forEach((v, h) => (embeddingMean[h] += (((v - mu) / sd) * gamma[h] + beta[h]) / n));
        for (let h = 0; h < H; h++) lastMean[h] += (sequence.data as Float32Array)[(b * S + t) * H + h] / n;
      });
      const row = (state: number) => (means.data as Float32Array).subarray((b * (L + 1) + state) * H, (b * (L + 1) + state + 1) * H);
      worst = Math.max(worst, maxAbsDiff(row(0), embeddingMean), maxAbsDiff(row(L), lastMean));
    });
    assert.ok(worst <= TOLERANCE, `layer_means: max |Δ| ${worst}`);
  });

  test('the engine loads compiled folders: fill-mask agrees with the reference', async () => {
    for (const name of ['legacy-pretraining', 'chinese']) {
      const expected = JSON.parse(readFileSync(join(FIXTURES, name, 'expected.json'), 'utf8')) as Expected;
      const out = join(work, `engine-${name}`);
      await compileCheckpoint(join(FIXTURES, name), out);
      const model = await loadModel(out, { executionProvider: 'cpu' });
      const c = expected.cases.find((x) => x.text_b === null && x.mlm_positions && x.tokens.includes('[MASK]'))!;
      const result = await fillMask(model, c.text_a, { topK: 3 });
      const want = c.mlm_probabilities![0];
      const best = want.indexOf(Math.max(...want));
      assert.equal(result.masks[0].predictions[0].id, best);
      assert.ok(Math.abs(result.masks[0].predictions[0].score - want[best]) <= TOLERANCE);
      await model.dispose();
    }
  });
});

// ---------------------------------------------------------------------------------------
// Checkpoint folders: heads, vocabularies, shards, refusals
// ---------------------------------------------------------------------------------------

/** A copy of the classifier fixture (all F32) in a fresh folder, with `edit` applied to its tensors. */
async function variantOf(label: string, edit?: (tensors: Map<string, TensorToWrite>) => void): Promise<string> {
  const dir = join(work, `variant-${label}`);
  cpSync(join(FIXTURES, 'sequence-classifier'), dir, { recursive: true });
  if (edit) {
    const file = await SafetensorsFile.open(join(dir, 'model.safetensors'));
    const tensors = new Map<string, TensorToWrite>();
    for (const name of file.names) tensors.set(name, await file.readFloat32(name));
    await file.close();
    edit(tensors);
    writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors));
  }
  return dir;
}

describe('checkpoint folders', () => {
  test('a BertModel checkpoint without heads compiles with fill-mask, NSP and classification off', async () => {
    const dir = await variantOf('headless', (t) => {
      t.delete('classifier.weight');
      t.delete('classifier.bias');
    });
    const compiled = await compileCheckpoint(dir, join(dir, 'out'));
    assert.deepEqual(compiled.checkpoint.heads, { pooler: true, mlm: false, nsp: false, classifierLabels: 0 });
    const notes = compiled.checkpoint.notes.join('\n');
    assert.match(notes, /No masked-LM head \(cls\.predictions\.\*\): fill-mask is off/);
    assert.match(notes, /NSP is off/);
    const model = await loadModel(join(dir, 'out'), { executionProvider: 'cpu' });
    assert.deepEqual([...model.outputNames].sort(), ['pooled_output', 'sequence_output']);
    await assert.rejects(fillMask(model, 'a [MASK] b'), /mlm_logits|masked-LM/);
    await model.dispose();
  });

  test('a partial head is turned off and named', async () => {
    const dir = await variantOf('partial', (t) => t.delete('classifier.bias'));
    const info = await inspectCheckpoint(dir);
    assert.equal(info.heads.classifierLabels, 0);
    assert.match(info.notes.join('\n'), /Classifier incomplete \(missing classifier\.bias\)/);
  });

  test('missing encoder weights are listed', async () => {
    const dir = await variantOf('broken', (t) => {
      t.delete('bert.encoder.layer.1.output.dense.weight');
      t.delete('bert.embeddings.LayerNorm.bias');
    });
    await assert.rejects(inspectCheckpoint(dir), /lacks 2 BERT encoder weights: bert\.embeddings\.LayerNorm\.bias, bert\.encoder\.layer\.1\.output\.dense\.weight/);
  });

  test('a wrong shape is reported against config.json', async () => {
    const dir = await variantOf('shape', (t) => {
      t.set('bert.pooler.dense.bias', { dims: [31], data: new Float32Array(31) });
    });
    await assert.rejects(inspectCheckpoint(dir), /bert\.pooler\.dense\.bias has shape \[31\], expected \[32\]/);
  });

  test('id2label that disagrees with the classifier turns classification off', async () => {
    const dir = await variantOf('labels');
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    config.id2label = { 0: 'no', 1: 'yes' };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const info = await inspectCheckpoint(dir);
    assert.equal(info.heads.classifierLabels, 0);
    assert.match(info.notes.join('\n'), /id2label has 2 labels but classifier\.weight has 3 rows/);
  });

  test('the vocabulary can come from tokenizer.json, with its normalizer settings', async () => {
    const dir = await variantOf('tokenizer-json');
    const vocab = readFileSync(join(dir, 'vocab.txt'), 'utf8').trimEnd().split('\n');
    unlinkSync(join(dir, 'vocab.txt'));
    unlinkSync(join(dir, 'tokenizer_config.json'));
    const tokenizerJson = {
      version: '1.0',
      normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
      model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', vocab: Object.fromEntries(vocab.map((t, i) => [t, i])) },
    };
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson));
    const compiled = await compileCheckpoint(dir, join(dir, 'out'));
    assert.equal(compiled.checkpoint.vocabSource.kind, 'tokenizer.json');
    assert.equal(readFileSync(join(dir, 'out', 'vocab.txt'), 'utf8'), `${vocab.join('\n')}\n`);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'out', 'tokenizer_config.json'), 'utf8')), {
      do_lower_case: true,
      tokenize_chinese_chars: true,
    });
    assert.deepEqual(compiled.files.map((f) => f.name).sort(), ['config.json', 'model.onnx', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
  });

  test('sharded checkpoints (model.safetensors.index.json) load from every shard', async () => {
    const dir = await variantOf('sharded');
    const file = await SafetensorsFile.open(join(dir, 'model.safetensors'));
    const shards = [new Map<string, TensorToWrite>(), new Map<string, TensorToWrite>()];
    const weightMap: Record<string, string> = {};
    for (const [i, name] of file.names.entries()) {
      shards[i % 2].set(name, await file.readFloat32(name));
      weightMap[name] = `model-0000${(i % 2) + 1}-of-00002.safetensors`;
    }
    await file.close();
    unlinkSync(join(dir, 'model.safetensors'));
    shards.forEach((s, i) => writeFileSync(join(dir, `model-0000${i + 1}-of-00002.safetensors`), encodeSafetensors(s)));
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    const sharded = await loadCheckpoint(dir);
    const single = await loadCheckpoint(join(FIXTURES, 'sequence-classifier'));
    assert.equal(sharded.weightFiles.length, 2);
    assert.deepEqual([...sharded.weights.keys()].sort(), [...single.weights.keys()].sort());
    for (const [name, tensor] of single.weights) assert.deepEqual(sharded.weights.get(name)!.data, tensor.data, name);

    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { x: '../../etc/passwd.safetensors' } }));
    await assert.rejects(inspectCheckpoint(dir), /invalid shard file/);
  });

  test('a pickled .bin checkpoint is refused without being opened', async () => {
    const dir = await variantOf('pickled');
    renameSync(join(dir, 'model.safetensors'), join(dir, 'pytorch_model.bin'));
    await assert.rejects(inspectCheckpoint(dir), /only pytorch_model\.bin.*never opened.*model\.safetensors/s);
  });

  test('a folder without config.json says what a checkpoint folder holds', async () => {
    const dir = await variantOf('no-config');
    unlinkSync(join(dir, 'config.json'));
    await assert.rejects(inspectCheckpoint(dir), /has no config\.json; a Hugging Face BERT checkpoint folder holds config\.json, model\.safetensors/);
  });
});
