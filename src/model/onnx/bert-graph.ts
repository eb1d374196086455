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
 *
 * Options: `variant` 'standard' (plain ONNX ops, any execution provider) or 'fused' (ORT
 * com.microsoft contrib ops, fastest on CPU); `precision` 'fp32', 'fp16' (float16 weights and
 * compute, float32 outputs) or 'int8' (dynamic int8 quantization of the weight matrices and the
 * word table, quantize.ts); `attentions` adds the output
 *            attentions      float32 [layers, batch, heads, seq, seq]   (softmax probabilities, keys on the last axis)
 * `layerMeans` adds the output (layer-means.ts)
 *            layer_means     float32 [batch, layers + 1, hidden]        (attention-mask-weighted mean over tokens of the
 *                                                                        embedding output, then of each layer's output)
 * and `mlmOutput: 'all'` replaces mlm_positions / mlm_logits by full-sequence MLM logits
 *            logits          float32 [batch, seq, vocab]                (the export transformers.js's fill-mask loads)
 */
import type { BertConfig } from '../model-config';
import { BertGraphContext } from './bert-graph-context';
import { BERT_WEIGHT_NAMES, checkBertWeights, detectBertHeads, type BertHeads, type WeightMap } from './bert-weights';
import { OnnxGraphBuilder } from './graph-builder';
import { convertToFloat16 } from './float16';
import { fusedBlocks, MS_DOMAIN } from './fused-blocks';
import { addLayerMeans } from './layer-means';
import { quantizeToInt8, type QuantizeOptions } from './quantize';
import { MASKED_SCORE_OFFSET, standardAttentionMask, standardBlocks, standardSelfAttention, type BertGraphBlocks } from './standard-blocks';

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
  attentions: 'attentions',
  /** Per text, the masked mean over tokens of every hidden state (only with `layerMeans`). */
  layerMeans: 'layer_means',
  /** Full-sequence MLM logits (only with `mlmOutput: 'all'`). */
  logits: 'logits',
} as const;

/** Bumped whenever the I/O contract or the computed function changes; stored in the model's metadata. */
export const BERT_GRAPH_VERSION = '2'; // 2: int8 also quantizes a word table that no MLM head shares

/** Graph variants: plain ONNX operators, or ONNX Runtime's fused contrib operators. */
export type BertGraphVariant = 'standard' | 'fused';
export type BertGraphPrecision = 'fp32' | 'fp16' | 'int8';

const VARIANT_BLOCKS: Record<BertGraphVariant, BertGraphBlocks> = { standard: standardBlocks, fused: fusedBlocks };

export interface BertGraphOptions {
  variant?: BertGraphVariant;
  /** Heads to build; default: those whose weights are present (`detectBertHeads`). */
  heads?: BertHeads;
  /** Default 'fp32'. */
  precision?: BertGraphPrecision;
  /** Also output every layer's attention probabilities (`attentions`). Default false. */
  attentions?: boolean;
  /** Also output the masked token mean of the embeddings and of every layer (`layer_means`). Default false. */
  layerMeans?: boolean;
  /** 'positions' (default): MLM logits at `mlm_positions`; 'all': `logits` for every token. */
  mlmOutput?: 'positions' | 'all';
  /** With precision 'int8': which parts to quantize (default all). */
  quantize?: QuantizeOptions;
}

/** Serialised ModelProto (opset 17) of BertForPreTraining (or the heads present) for `config` with `weights`. */
export function buildBertGraph(config: BertConfig, weights: WeightMap, options: BertGraphOptions = {}): Uint8Array {
  if (config.numHiddenLayers < 1) throw new Error('BERT config has no encoder layers');
  const heads = options.heads ?? detectBertHeads(weights);
  checkBertWeights(config, weights, heads);
  const variant = options.variant ?? 'standard';
  const precision = options.precision ?? 'fp32';
  const attentions = options.attentions ?? false;
  const layerMeans = options.layerMeans ?? false;
  const allLogits = options.mlmOutput === 'all';
  // Attention probabilities need the standard attention block (the fused kernel keeps them inside).
  const blocks: BertGraphBlocks = attentions
    ? { ...VARIANT_BLOCKS[variant], attentionMask: standardAttentionMask, selfAttention: standardSelfAttention }
    : VARIANT_BLOCKS[variant];
  const operatorSets = [{ domain: '', version: 17 }];
  if (variant === 'fused' || precision === 'int8') operatorSets.push({ domain: MS_DOMAIN, version: 1 });
  const builder = new OnnxGraphBuilder(operatorSets);
  const ctx = new BertGraphContext(builder, config, weights);
  const names = BERT_WEIGHT_NAMES;
  const { hiddenSize: H, vocabSize: V } = config;

  const inputIds = builder.addInput(BERT_GRAPH_INPUTS.inputIds, 'int64', ['batch', 'seq']);
  const tokenTypeIds = builder.addInput(BERT_GRAPH_INPUTS.tokenTypeIds, 'int64', ['batch', 'seq']);
  const attentionMask = builder.addInput(BERT_GRAPH_INPUTS.attentionMask, 'int64', ['batch', 'seq']);
  const mlmPositions =
    heads.mlm && !allLogits ? builder.addInput(BERT_GRAPH_INPUTS.mlmPositions, 'int64', ['batch', 'num_positions']) : '';

  // Embeddings: word + token type + position (0..seq-1), then LayerNorm.  (B, S, H)
  let scope = 'embeddings';
  let hidden = blocks.embeddings(ctx, inputIds, tokenTypeIds, scope);
  const hiddenStates = [hidden]; // the embedding output, then each layer's output (for layer_means)

  const mask = blocks.attentionMask(ctx, attentionMask);
  const probabilities: string[] = [];
  for (let i = 0; i < config.numHiddenLayers; i++) {
    const layer = names.layer(i);
    const last = i === config.numHiddenLayers - 1;
    scope = `layer.${i}.attention`;
    const attended = blocks.selfAttention(ctx, hidden, mask, layer, scope, { probabilities: attentions });
    if (attended.probabilities !== undefined) probabilities.push(attended.probabilities);
    const afterAttention = blocks.denseAddAndLayerNorm(
      ctx,
      attended.context,
      layer.attentionOutput,
      hidden,
      layer.attentionLayerNorm,
      scope,
    );
    scope = `layer.${i}.ffn`;
    const intermediate = blocks.denseGelu(ctx, afterAttention, layer.intermediate, scope);
    hidden = blocks.denseAddAndLayerNorm(
      ctx,
      intermediate,
      layer.output,
      afterAttention,
      layer.outputLayerNorm,
      scope,
      last ? BERT_GRAPH_OUTPUTS.sequenceOutput : undefined,
    );
    hiddenStates.push(hidden);
  }
  if (attentions) {
    // (layers, B, heads, S, S): one Unsqueeze per layer, one Concat.
    scope = 'attentions';
    const stacked = probabilities.map((p) => builder.op('Unsqueeze', [p, ctx.int64('axes_0', [0])], { scope }));
    builder.op('Concat', stacked, { scope, outputName: BERT_GRAPH_OUTPUTS.attentions, attributes: { axis: { int: 0 } } });
  }
  if (layerMeans) addLayerMeans(ctx, attentionMask, hiddenStates, BERT_GRAPH_OUTPUTS.layerMeans);

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

  if (heads.mlm && allLogits) {
    // MLM head on every token, as a plain export has it: (B, S, V).
    scope = 'mlm';
    const transformed = ctx.layerNorm(blocks.denseGelu(ctx, hidden, names.mlmTransform, scope), names.mlmTransformLayerNorm, scope);
    // Gemm with transB reads the tied [V, H] table as is (no second copy of the table).
    const flat = builder.op('Flatten', [transformed], { scope, attributes: { axis: { int: 2 } } }); // (B·S, H)
    const decoded = builder.op('Gemm', [flat, ctx.weight(names.wordEmbeddings), ctx.weight(names.mlmDecoderBias)], {
      scope,
      attributes: { transB: { int: 1 } },
    });
    const shape = builder.op('Concat', [builder.op('Shape', [inputIds], { scope }), ctx.int64('vocab_size', [V])], {
      scope,
      attributes: { axis: { int: 0 } },
    });
    builder.op('Reshape', [decoded, shape], { scope, outputName: BERT_GRAPH_OUTPUTS.logits });
  } else if (heads.mlm) {
    // MLM head, only at mlm_positions: gather (B, P, H) first, then transform and project.
    scope = 'mlm';
    const indices = builder.op('Unsqueeze', [mlmPositions, ctx.int64('axes_last', [-1])], { scope }); // (B, P, 1)
    const gathered = builder.op('GatherND', [hidden, indices], { scope, attributes: { batch_dims: { int: 1 } } }); // (B, P, H)
    const transformed = ctx.layerNorm(blocks.denseGelu(ctx, gathered, names.mlmTransform, scope), names.mlmTransformLayerNorm, scope);
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

  if (heads.mlm && allLogits) builder.addOutput(BERT_GRAPH_OUTPUTS.logits, 'float32', ['batch', 'seq', V]);
  if (heads.mlm && !allLogits) builder.addOutput(BERT_GRAPH_OUTPUTS.mlmLogits, 'float32', ['batch', 'num_positions', V]);
  if (heads.nsp) builder.addOutput(BERT_GRAPH_OUTPUTS.nspLogits, 'float32', ['batch', 2]);
  if (heads.pooler) builder.addOutput(BERT_GRAPH_OUTPUTS.pooledOutput, 'float32', ['batch', H]);
  builder.addOutput(BERT_GRAPH_OUTPUTS.sequenceOutput, 'float32', ['batch', 'seq', H]);
  if (heads.classifierLabels > 0) {
    builder.addOutput(BERT_GRAPH_OUTPUTS.classifierLogits, 'float32', ['batch', heads.classifierLabels]);
  }
  if (attentions) {
    builder.addOutput(BERT_GRAPH_OUTPUTS.attentions, 'float32', [config.numHiddenLayers, 'batch', config.numAttentionHeads, 'seq', 'seq']);
  }
  if (layerMeans) builder.addOutput(BERT_GRAPH_OUTPUTS.layerMeans, 'float32', ['batch', config.numHiddenLayers + 1, H]);

  if (precision === 'int8') quantizeToInt8(builder, options.quantize);
  if (precision === 'fp16') convertToFloat16(builder);

  return builder.encode({
    producerName: 'bert-lens',
    producerVersion: BERT_GRAPH_VERSION,
    graphName: 'bert_for_pre_training',
    docString: 'BertForPreTraining (post-LayerNorm BERT with MLM and NSP heads), built by BERT Lens.',
    properties: {
      'bert_lens.graph_version': BERT_GRAPH_VERSION,
      'bert_lens.graph_variant': variant,
      // Only when not the default, so a default graph stays byte-identical to earlier builds.
      ...(precision !== 'fp32' ? { 'bert_lens.precision': precision } : {}),
      ...(attentions ? { 'bert_lens.attentions': 'true' } : {}),
      ...(layerMeans ? { 'bert_lens.layer_means': 'true' } : {}),
      ...(allLogits ? { 'bert_lens.mlm_output': 'all' } : {}),
      'bert_lens.masked_score_offset': String(MASKED_SCORE_OFFSET),
    },
  });
}
