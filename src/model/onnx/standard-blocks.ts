/**
 * BERT's building blocks in standard ONNX operators only (opset 17): the additive attention
 * mask, multi-head self-attention, residual + LayerNorm and exact GELU. `BertGraphBlocks` is
 * the seam where a fused variant (com.microsoft Attention, SkipLayerNormalization, Gelu)
 * can replace any of them without touching the rest of the graph.
 */
import type { BertGraphContext } from './bert-graph-context';
import type { EncoderLayerNames, LayerNormNames } from './bert-weights';

/** The parts of a BERT graph that a variant may emit differently. */
export interface BertGraphBlocks {
  /** Turns the int64 `attention_mask` [batch, seq] (1 = token, 0 = padding) into what `selfAttention` takes. */
  attentionMask(ctx: BertGraphContext, attentionMask: string): string;
  /** Self-attention of one layer including its output dense (before the residual): [B, S, H] → [B, S, H]. */
  selfAttention(ctx: BertGraphContext, hidden: string, mask: string, names: EncoderLayerNames, scope: string): string;
  /** LayerNorm(x + residual). */
  addAndLayerNorm(ctx: BertGraphContext, x: string, residual: string, names: LayerNormNames, scope: string, outputName?: string): string;
  /** GELU, exact (erf) form. */
  gelu(ctx: BertGraphContext, x: string, scope: string): string;
}

/** Added to the attention scores of padding keys, as in the original BERT. */
export const MASKED_SCORE_OFFSET = -10000;

export const standardBlocks: BertGraphBlocks = {
  attentionMask(ctx, attentionMask) {
    const b = ctx.builder;
    const scope = 'attention_mask';
    const FLOAT = 1; // TensorProto.DataType.FLOAT
    const mask = b.op('Cast', [attentionMask], { scope, attributes: { to: { int: FLOAT } } });
    const inverted = b.op('Sub', [ctx.float('one', [1]), mask], { scope }); // 1 for padding
    const additive = b.op('Mul', [inverted, ctx.float('masked_score_offset', [MASKED_SCORE_OFFSET])], { scope });
    // (B, S) → (B, 1, 1, S): broadcasts over heads and query positions.
    return b.op('Unsqueeze', [additive, ctx.int64('axes_1_2', [1, 2])], { scope });
  },

  selfAttention(ctx, hidden, mask, names, scope) {
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
    return ctx.linear(merged, names.attentionOutput, scope);
  },

  addAndLayerNorm(ctx, x, residual, names, scope, outputName) {
    const sum = ctx.builder.op('Add', [x, residual], { scope });
    return ctx.layerNorm(sum, names, scope, outputName);
  },

  gelu(ctx, x, scope) {
    // 0.5 · x · (1 + erf(x / √2)), in the order ORT's Gelu fusion recognises.
    const b = ctx.builder;
    const erf = b.op('Erf', [b.op('Div', [x, ctx.float('sqrt_2', [Math.SQRT2])], { scope })], { scope });
    const onePlus = b.op('Add', [erf, ctx.float('one', [1])], { scope });
    return b.op('Mul', [b.op('Mul', [x, onePlus], { scope }), ctx.float('half', [0.5])], { scope });
  },
};
