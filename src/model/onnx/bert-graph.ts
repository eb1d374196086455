/**
 * Builds the ONNX graph of a post-LayerNorm BERT with both pre-training heads, computing
 * what Hugging Face's BertForPreTraining computes, and fixes the graph's I/O contract that
 * the engine relies on (names, dtypes, dynamic dims batch / seq / num_positions).
 *
 *   inputs:  input_ids, token_type_ids, attention_mask  int64 [batch, seq]
 *            mlm_positions                              int64 [batch, num_positions]  (each in [0, seq); may be empty)
 *   outputs: mlm_logits      float32 [batch, num_positions, vocab]  (only at mlm_positions)
 *            nsp_logits      float32 [batch, 2]                     (0 = is next, 1 = random)
 *            pooled_output   float32 [batch, hidden]
 *            sequence_output float32 [batch, seq, hidden]
 *            classifier_logits float32 [batch, num_labels]          (sequence classification)
 *
 * Heads the weights lack are left out with their outputs (and `mlm_positions` with the MLM
 * head): `sequence_output` is always there, the others only when their head is (BertHeads).
 */
import type { BertConfig } from '../model-config';
import { BertGraphContext } from './bert-graph-context';
import { BERT_WEIGHT_NAMES, checkBertWeights, detectBertHeads, type BertHeads, type WeightMap } from './bert-weights';
import { OnnxGraphBuilder } from './graph-builder';
import { MASKED_SCORE_OFFSET, standardBlocks, type BertGraphBlocks } from './standard-blocks';

export const BERT_GRAPH_INPUTS = {
  inputIds: 'input_ids',
  tokenTypeIds: 'token_type_ids',
  attentionMask: 'attention_mask',
  mlmPositions: 'mlm_positions',
} as const;

export const BERT_GRAPH_OUTPUTS = {
  mlmLogits: 'mlm_logits',
  nspLogits: 'nsp_logits',
  pooledOutput: 'pooled_output',
  sequenceOutput: 'sequence_output',
  classifierLogits: 'classifier_logits',
} as const;

/** Bumped whenever the I/O contract or the computed function changes; stored in the model's metadata. */
export const BERT_GRAPH_VERSION = '1';

/** Graph variants; only the standard-operator one exists so far. */
export type BertGraphVariant = 'standard';

const VARIANT_BLOCKS: Record<BertGraphVariant, BertGraphBlocks> = { standard: standardBlocks };

export interface BertGraphOptions {
  variant?: BertGraphVariant;
  /** Heads to build; default: those whose weights are present (`detectBertHeads`). */
  heads?: BertHeads;
}

/** Serialised ModelProto (opset 17) of BertForPreTraining (or the heads present) for `config` with `weights`. */
export function buildBertGraph(config: BertConfig, weights: WeightMap, options: BertGraphOptions = {}): Uint8Array {
  if (config.numHiddenLayers < 1) throw new Error('BERT config has no encoder layers');
  const heads = options.heads ?? detectBertHeads(weights);
  checkBertWeights(config, weights, heads);
  const variant = options.variant ?? 'standard';
  const blocks = VARIANT_BLOCKS[variant];
  const builder = new OnnxGraphBuilder([{ domain: '', version: 17 }]);
  const ctx = new BertGraphContext(builder, config, weights);
  const names = BERT_WEIGHT_NAMES;
  const { hiddenSize: H, vocabSize: V } = config;

  const inputIds = builder.addInput(BERT_GRAPH_INPUTS.inputIds, 'int64', ['batch', 'seq']);
  const tokenTypeIds = builder.addInput(BERT_GRAPH_INPUTS.tokenTypeIds, 'int64', ['batch', 'seq']);
  const attentionMask = builder.addInput(BERT_GRAPH_INPUTS.attentionMask, 'int64', ['batch', 'seq']);
  const mlmPositions = heads.mlm ? builder.addInput(BERT_GRAPH_INPUTS.mlmPositions, 'int64', ['batch', 'num_positions']) : '';

  // Embeddings: word + token type + position (0..seq-1), then LayerNorm.  (B, S, H)
  let scope = 'embeddings';
  const words = builder.op('Gather', [ctx.weight(names.wordEmbeddings), inputIds], { scope });
  const types = builder.op('Gather', [ctx.weight(names.tokenTypeEmbeddings), tokenTypeIds], { scope });
  const seqLength = builder.op('Shape', [inputIds], { scope, attributes: { start: { int: 1 }, end: { int: 2 } } }); // [S]
  const positions = builder.op(
    'Slice',
    [ctx.weight(names.positionEmbeddings), ctx.int64('zero_1d', [0]), seqLength, ctx.int64('zero_1d', [0])],
    { scope },
  ); // (S, H)
  const summed = builder.op('Add', [builder.op('Add', [words, types], { scope }), positions], { scope });
  let hidden = ctx.layerNorm(summed, names.embeddingsLayerNorm, scope);

  const mask = blocks.attentionMask(ctx, attentionMask);
  for (let i = 0; i < config.numHiddenLayers; i++) {
    const layer = names.layer(i);
    const last = i === config.numHiddenLayers - 1;
    scope = `layer.${i}.attention`;
    const attended = blocks.selfAttention(ctx, hidden, mask, layer, scope);
    const afterAttention = blocks.addAndLayerNorm(ctx, attended, hidden, layer.attentionLayerNorm, scope);
    scope = `layer.${i}.ffn`;
    const intermediate = blocks.gelu(ctx, ctx.linear(afterAttention, layer.intermediate, scope), scope);
    const projected = ctx.linear(intermediate, layer.output, scope);
    hidden = blocks.addAndLayerNorm(
      ctx,
      projected,
      afterAttention,
      layer.outputLayerNorm,
      scope,
      last ? BERT_GRAPH_OUTPUTS.sequenceOutput : undefined,
    );
  }

  if (heads.pooler) {
    // Pooler: tanh(dense(h[:, 0])).  (B, H)
    scope = 'pooler';
    const first = builder.op('Gather', [hidden, ctx.int64('zero_scalar', [0], [])], { scope, attributes: { axis: { int: 1 } } });
    const pooled = builder.op('Tanh', [ctx.linear(first, names.pooler, scope)], {
      scope,
      outputName: BERT_GRAPH_OUTPUTS.pooledOutput,
    });
    // NSP head: dense(pooled) → 2 logits.
    if (heads.nsp) ctx.linear(pooled, names.nsp, 'nsp', BERT_GRAPH_OUTPUTS.nspLogits);
    // Sequence classification: dense(pooled) → num_labels logits.
    if (heads.classifierLabels > 0) ctx.linear(pooled, names.classifier, 'classifier', BERT_GRAPH_OUTPUTS.classifierLogits);
  }

  if (heads.mlm) {
    // MLM head, only at mlm_positions: gather (B, P, H) first, then transform and project.
    scope = 'mlm';
    const indices = builder.op('Unsqueeze', [mlmPositions, ctx.int64('axes_last', [-1])], { scope }); // (B, P, 1)
    const gathered = builder.op('GatherND', [hidden, indices], { scope, attributes: { batch_dims: { int: 1 } } }); // (B, P, H)
    const transformed = ctx.layerNorm(
      blocks.gelu(ctx, ctx.linear(gathered, names.mlmTransform, scope), scope),
      names.mlmTransformLayerNorm,
      scope,
    );
    // Decoder tied to the word embeddings: Gemm with transB reads the [V, H] table as is.
    const flat = builder.op('Flatten', [transformed], { scope, attributes: { axis: { int: 2 } } }); // (B·P, H)
    const logits = builder.op('Gemm', [flat, ctx.weight(names.wordEmbeddings), ctx.weight(names.mlmDecoderBias)], {
      scope,
      attributes: { transB: { int: 1 } },
    }); // (B·P, V)
    const logitsShape = builder.op('Concat', [builder.op('Shape', [mlmPositions], { scope }), ctx.int64('vocab_size', [V])], {
      scope,
      attributes: { axis: { int: 0 } },
    });
    // allowzero: a 0 in the shape (num_positions = 0) means 0, not "copy the input's dim".
    builder.op('Reshape', [logits, logitsShape], {
      scope,
      outputName: BERT_GRAPH_OUTPUTS.mlmLogits,
      attributes: { allowzero: { int: 1 } },
    });
  }

  if (heads.mlm) builder.addOutput(BERT_GRAPH_OUTPUTS.mlmLogits, 'float32', ['batch', 'num_positions', V]);
  if (heads.nsp) builder.addOutput(BERT_GRAPH_OUTPUTS.nspLogits, 'float32', ['batch', 2]);
  if (heads.pooler) builder.addOutput(BERT_GRAPH_OUTPUTS.pooledOutput, 'float32', ['batch', H]);
  builder.addOutput(BERT_GRAPH_OUTPUTS.sequenceOutput, 'float32', ['batch', 'seq', H]);
  if (heads.classifierLabels > 0) {
    builder.addOutput(BERT_GRAPH_OUTPUTS.classifierLogits, 'float32', ['batch', heads.classifierLabels]);
  }

  return builder.encode({
    producerName: 'bert-lens',
    producerVersion: BERT_GRAPH_VERSION,
    graphName: 'bert_for_pre_training',
    docString: 'BertForPreTraining (post-LayerNorm BERT with MLM and NSP heads), built by BERT Lens.',
    properties: {
      'bert_lens.graph_version': BERT_GRAPH_VERSION,
      'bert_lens.graph_variant': variant,
      'bert_lens.masked_score_offset': String(MASKED_SCORE_OFFSET),
    },
  });
}
