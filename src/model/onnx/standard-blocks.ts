/**
 * BERT's building blocks in standard ONNX operators only (opset 17): embeddings + LayerNorm,
 * the additive attention mask, multi-head self-attention (optionally exposing its
 * probabilities), dense + residual + LayerNorm and dense + GELU (exact erf or the tanh
 * approximation `gelu_new`). `BertGraphBlocks` is the seam where a fused variant
 * (fused-blocks.ts: com.microsoft Attention, SkipLayerNormalization, BiasGelu / FastGelu)
 * replaces any of them without touching the rest of the graph.
 */
import type { BertGraphContext } from './bert-graph-context';
import type { EncoderLayerNames, LayerNormNames, LinearNames } from './bert-weights';
import { BERT_WEIGHT_NAMES } from './bert-weights';

/** What a self-attention block returns: the merged heads before the output dense, and on request the probabilities. */
export interface SelfAttentionResult {
  /** (B, S, H): heads merged, before `attention.output.dense`. */
  context: string;
  /** (B, heads, S, S) softmax probabilities, only when asked for. */
  probabilities?: string;
}

/** The parts of a BERT graph that a variant may emit differently. */
export interface BertGraphBlocks {
  /** Word + token-type + position embeddings, then LayerNorm: (B, S, H). */
  embeddings(ctx: BertGraphContext, inputIds: string, tokenTypeIds: string, scope: string): string;
  /** Turns the int64 `attention_mask` [batch, seq] (1 = token, 0 = padding) into what `selfAttention` takes. */
  attentionMask(ctx: BertGraphContext, attentionMask: string): string;
  /** Self-attention of one layer up to the merged heads (the output dense is `denseAddAndLayerNorm`'s). */
  selfAttention(
    ctx: BertGraphContext,
    hidden: string,
    mask: string,
    names: EncoderLayerNames,
    scope: string,
    options?: { probabilities?: boolean },
  ): SelfAttentionResult;
  /** LayerNorm(x · Wᵀ + b + residual). */
  denseAddAndLayerNorm(
    ctx: BertGraphContext,
    x: string,
    dense: LinearNames,
    residual: string,
    names: LayerNormNames,
    scope: string,
    outputName?: string,
  ): string;
  /** GELU(x · Wᵀ + b), in the config's form (`hiddenAct`). */
  denseGelu(ctx: BertGraphContext, x: string, dense: LinearNames, scope: string): string;
}

/** Added to the attention scores of padding keys, as in the original BERT. */
export const MASKED_SCORE_OFFSET = -10000;

/** Standard-operator GELU of `x` in the config's form. */
export function standardGelu(ctx: BertGraphContext, x: string, scope: string): string {
  const b = ctx.builder;
  if (ctx.config.hiddenAct === 'gelu_new') {
    // 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))
    const cube = b.op('Mul', [b.op('Mul', [x, x], { scope }), x], { scope });
    const inner = b.op('Add', [x, b.op('Mul', [cube, ctx.float('gelu_new_coefficient', [0.044715])], { scope })], { scope });
    const tanh = b.op('Tanh', [b.op('Mul', [inner, ctx.float('sqrt_2_over_pi', [Math.sqrt(2 / Math.PI)])], { scope })], { scope });
    const onePlus = b.op('Add', [tanh, ctx.float('one', [1])], { scope });
    return b.op('Mul', [b.op('Mul', [x, onePlus], { scope }), ctx.float('half', [0.5])], { scope });
  }
  // 0.5 · x · (1 + erf(x / √2)), in the order ORT's Gelu fusion recognises.
  const erf = b.op('Erf', [b.op('Div', [x, ctx.float('sqrt_2', [Math.SQRT2])], { scope })], { scope });
  const onePlus = b.op('Add', [erf, ctx.float('one', [1])], { scope });
  return b.op('Mul', [b.op('Mul', [x, onePlus], { scope }), ctx.float('half', [0.5])], { scope });
}

/** Standard-operator multi-head self-attention up to the merged heads. */
export function standardSelfAttention(
  ctx: BertGraphContext,
  hidden: string,
  mask: string,
  names: EncoderLayerNames,
  scope: string,
  options: { probabilities?: boolean } = {},
): SelfAttentionResult {
  const b = ctx.builder;
  const { hiddenSize, numAttentionHeads } = ctx.config;
  const headSize = hiddenSize / numAttentionHeads;
  const splitHeads = ctx.int64('shape_split_heads', [0, 0, numAttentionHeads, headSize]);
  const mergeHeads = ctx.int64('shape_merge_heads', [0, 0, hiddenSize]);
  const toHeads = (x: string, perm: number[]) =>
    b.op('Transpose', [b.op('Reshape', [x, splitHeads], { scope })], { scope, attributes: { perm: { ints: perm } } });

  const query = toHeads(ctx.linear(hidden, names.query, scope), [0, 2, 1, 3]); // (B, heads, S, head)
  const keyT = toHeads(ctx.linear(hidden, names.key, scope), [0, 2, 3, 1]); // (B, heads, head, S)
  const value = toHeads(ctx.linear(hidden, names.value, scope), [0, 2, 1, 3]); // (B, heads, S, head)

  const raw = b.op('MatMul', [query, keyT], { scope }); // (B, heads, S, S)
  const scaled = b.op('Div', [raw, ctx.float('sqrt_head_size', [Math.sqrt(headSize)])], { scope });
  const masked = b.op('Add', [scaled, mask], { scope });
  const probs = b.op('Softmax', [masked], { scope, attributes: { axis: { int: -1 } } });
  const context = b.op('MatMul', [probs, value], { scope }); // (B, heads, S, head)
  const merged = b.op('Reshape', [b.op('Transpose', [context], { scope, attributes: { perm: { ints: [0, 2, 1, 3] } } }), mergeHeads], {
    scope,
  }); // (B, S, H)
  return options.probabilities ? { context: merged, probabilities: probs } : { context: merged };
}

/** The additive mask (B, 1, 1, S) that `standardSelfAttention` takes: 0 for tokens, -10000 for padding. */
export function standardAttentionMask(ctx: BertGraphContext, attentionMask: string): string {
  const b = ctx.builder;
  const scope = 'attention_mask';
  const FLOAT = 1; // TensorProto.DataType.FLOAT
  const mask = b.op('Cast', [attentionMask], { scope, attributes: { to: { int: FLOAT } } });
  const inverted = b.op('Sub', [ctx.float('one', [1]), mask], { scope }); // 1 for padding
  const additive = b.op('Mul', [inverted, ctx.float('masked_score_offset', [MASKED_SCORE_OFFSET])], { scope });
  // (B, S) → (B, 1, 1, S): broadcasts over heads and query positions.
  return b.op('Unsqueeze', [additive, ctx.int64('axes_1_2', [1, 2])], { scope });
}

/** Word, token-type and position (0..S-1) embeddings summed: (B, S, H) before the LayerNorm. */
export function embeddingParts(ctx: BertGraphContext, inputIds: string, tokenTypeIds: string, scope: string) {
  const b = ctx.builder;
  const names = BERT_WEIGHT_NAMES;
  const words = b.op('Gather', [ctx.weight(names.wordEmbeddings), inputIds], { scope });
  const types = b.op('Gather', [ctx.weight(names.tokenTypeEmbeddings), tokenTypeIds], { scope });
  const seqLength = b.op('Shape', [inputIds], { scope, attributes: { start: { int: 1 }, end: { int: 2 } } }); // [S]
  const positions = b.op(
    'Slice',
    [ctx.weight(names.positionEmbeddings), ctx.int64('zero_1d', [0]), seqLength, ctx.int64('zero_1d', [0])],
    { scope },
  ); // (S, H)
  return { words, types, positions };
}

export const standardBlocks: BertGraphBlocks = {
  embeddings(ctx, inputIds, tokenTypeIds, scope) {
    const b = ctx.builder;
    const { words, types, positions } = embeddingParts(ctx, inputIds, tokenTypeIds, scope);
    const summed = b.op('Add', [b.op('Add', [words, types], { scope }), positions], { scope });
    return ctx.layerNorm(summed, BERT_WEIGHT_NAMES.embeddingsLayerNorm, scope);
  },

  attentionMask: standardAttentionMask,

  selfAttention: standardSelfAttention,

  denseAddAndLayerNorm(ctx, x, dense, residual, names, scope, outputName) {
    const sum = ctx.builder.op('Add', [ctx.linear(x, dense, scope), residual], { scope });
    return ctx.layerNorm(sum, names, scope, outputName);
  },

  denseGelu(ctx, x, dense, scope) {
    return standardGelu(ctx, ctx.linear(x, dense, scope), scope);
  },
};
