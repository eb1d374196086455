/**
 * Writes the tiny BERT test fixture: test/fixtures/tiny-bert/{model.onnx, config.json,
 * model.safetensors} (the same weights as a Hugging Face checkpoint, Hugging Face names, so the
 * folder is also a checkpoint the compiler can rebuild, e.g. with attention outputs).
 * A BertForPreTraining with the bert-base-uncased vocabulary size (30522), hidden 32,
 * 2 layers, 2 heads, intermediate 64, seeded random weights (std 0.02; Linear biases also
 * std 0.02 instead of BERT's zeros, so a dropped bias shows in tests; LayerNorm 1 / 0).
 * Deterministic: running it twice gives byte-identical files. vocab.txt comes from
 * scripts/make-vocab.ts, not from here.
 *
 * Run from the repository root:
 *   npx esbuild scripts/make-fixture-model.ts --bundle --platform=node --outfile=out/scripts/make-fixture-model.js && node out/scripts/make-fixture-model.js
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseBertConfig, type BertConfig } from '../src/model/model-config';
import { buildBertGraph } from '../src/model/onnx/bert-graph';
import type { WeightMap } from '../src/model/onnx/bert-weights';
import { randomBertWeights, type RandomBertWeightOptions } from '../src/model/onnx/random-bert-weights';
import { encodeSafetensors } from '../src/model/safetensors';

export const TINY_BERT_DIR = 'test/fixtures/tiny-bert';

/** config.json exactly as written (Hugging Face key names and order). */
export const TINY_BERT_CONFIG_JSON = {
  architectures: ['BertForPreTraining'],
  attention_probs_dropout_prob: 0.1,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  hidden_size: 32,
  initializer_range: 0.02,
  intermediate_size: 64,
  layer_norm_eps: 1e-12,
  max_position_embeddings: 512,
  model_type: 'bert',
  num_attention_heads: 2,
  num_hidden_layers: 2,
  pad_token_id: 0,
  position_embedding_type: 'absolute',
  type_vocab_size: 2,
  vocab_size: 30522,
} as const;

export const TINY_BERT_WEIGHT_OPTIONS: RandomBertWeightOptions = { seed: 20240517, std: 0.02, biasStd: 0.02 };

export interface TinyBertFixture {
  config: BertConfig;
  weights: WeightMap;
  modelBytes: Uint8Array;
  configText: string;
}

export function makeTinyBertFixture(): TinyBertFixture {
  const config = parseBertConfig(TINY_BERT_CONFIG_JSON, 'TINY_BERT_CONFIG_JSON');
  const weights = randomBertWeights(config, TINY_BERT_WEIGHT_OPTIONS);
  return {
    config,
    weights,
    modelBytes: buildBertGraph(config, weights),
    configText: `${JSON.stringify(TINY_BERT_CONFIG_JSON, null, 2)}\n`,
  };
}

function main(): void {
  const dir = resolve(TINY_BERT_DIR);
  mkdirSync(dir, { recursive: true });
  const fixture = makeTinyBertFixture();
  writeFileSync(join(dir, 'model.onnx'), fixture.modelBytes);
  writeFileSync(join(dir, 'config.json'), fixture.configText);
  const checkpoint = encodeSafetensors(fixture.weights, { format: 'pt' });
  writeFileSync(join(dir, 'model.safetensors'), checkpoint);
  console.log(`wrote ${join(dir, 'model.onnx')} (${fixture.modelBytes.length} bytes), config.json and model.safetensors (${checkpoint.length} bytes)`);
}

// Run only as the script itself, not when a test imports the fixture definition.
if (/make-fixture-model\.[jt]s$/.test(process.argv[1] ?? '')) main();
