/**
 * BERT's building blocks in ONNX Runtime's fused contrib operators (domain com.microsoft),
 * the CPU-fast variant: one `Attention` per layer (Q, K, V projections packed into one
 * [H, 3H] weight, masking, softmax and the head merge in one kernel), `SkipLayerNormalization`
 * for residual + bias + LayerNorm, `BiasGelu` (exact GELU) or `FastGelu` (gelu_new) for the
 * feed-forward activation with its bias. Embeddings use SkipLayerNormalization too:
 * `EmbedLayerNormalization` (which onnxruntime-node 1.30 has) would need int32 ids and a float
 * word table, which rules out the int8 word table of quantize.ts, for a block that is a few
 * element-wise operations next to the encoder's matrix products.
 *
 * `Attention` does not expose its probabilities: a graph that must return them takes the
 * standard attention block for that part (see bert-graph.ts).
 */
import type { BertGraphContext } from './bert-graph-context';
import { BERT_WEIGHT_NAMES, type EncoderLayerNames } from './bert-weights';
import { embeddingParts, type BertGraphBlocks } from './standard-blocks';

export const MS_DOMAIN = 'com.microsoft';
const INT32 = 6; // TensorProto.DataType.INT32

/** Q, K, V weights ([out, in] each) as one [in, 3·out] matrix and their biases as one [3·out] vector. */
function packedQkv(ctx: BertGraphContext, names: EncoderLayerNames): { weight: string; bias: string } {
  const weightName = `${names.query.weight.replace(/\.query\.weight$/, '')}.qkv.weight_packed`;
  const biasName = `${names.query.bias.replace(/\.query\.bias$/, '')}.qkv.bias_packed`;
  if (ctx.builder.hasValue(weightName)) return { weight: weightName, bias: biasName };
  const H = ctx.config.hiddenSize;
  const parts = [names.query, names.key, names.value];
  const weight = new Float32Array(H * 3 * H);
  const bias = new Float32Array(3 * H);
  parts.forEach((linear, t) => {
    const w = ctx.tensor(linear.weight).data; // [out = H, in = H]
    for (let o = 0; o < H; o++) {
      const row = o * H;
      for (let k = 0; k < H; k++) weight[k * 3 * H + t * H + o] = w[row + k];
    }
    bias.set(ctx.tensor(linear.bias).data, t * H);
  });
  ctx.builder.addFloatInitializer(weightName, [H, 3 * H], weight);
  ctx.builder.addFloatInitializer(biasName, [3 * H], bias);
  return { weight: weightName, bias: biasName };
}

export const fusedBlocks: BertGraphBlocks = {
  embeddings(ctx, inputIds, tokenTypeIds, scope) {
    const b = ctx.builder;
    const { words, types, positions } = embeddingParts(ctx, inputIds, tokenTypeIds, scope);
    const typesAndPositions = b.op('Add', [types, positions], { scope });
    const norm = BERT_WEIGHT_NAMES.embeddingsLayerNorm;
    return b.op('SkipLayerNormalization', [words, typesAndPositions, ctx.weight(norm.weight), ctx.weight(norm.bias)], {
      scope,
      domain: MS_DOMAIN,
      attributes: { epsilon: { float: ctx.config.layerNormEps } },
    });
  },

  attentionMask(ctx, attentionMask) {
    // Attention takes the raw 0/1 mask as int32 (B, S) and applies its own -10000 offset.
    return ctx.builder.op('Cast', [attentionMask], { scope: 'attention_mask', attributes: { to: { int: INT32 } } });
  },

  selfAttention(ctx, hidden, mask, names, scope, options = {}) {
    if (options.probabilities) throw new Error('The fused Attention operator cannot return attention probabilities');
    const { weight, bias } = packedQkv(ctx, names);
    const context = ctx.builder.op('Attention', [hidden, weight, bias, mask], {
      scope,
      domain: MS_DOMAIN,
      attributes: { num_heads: { int: ctx.config.numAttentionHeads } },
    });
    return { context };
  },

  denseAddAndLayerNorm(ctx, x, dense, residual, names, scope, outputName) {
    const b = ctx.builder;
    const product = b.op('MatMul', [x, ctx.transposedWeight(dense.weight)], { scope });
    return b.op(
      'SkipLayerNormalization',
      [product, residual, ctx.weight(names.weight), ctx.weight(names.bias), ctx.weight(dense.bias)],
      { scope, outputName, domain: MS_DOMAIN, attributes: { epsilon: { float: ctx.config.layerNormEps } } },
    );
  },

  denseGelu(ctx, x, dense, scope) {
    const b = ctx.builder;
    const product = b.op('MatMul', [x, ctx.transposedWeight(dense.weight)], { scope });
    const op = ctx.config.hiddenAct === 'gelu_new' ? 'FastGelu' : 'BiasGelu';
    return b.op(op, [product, ctx.weight(dense.bias)], { scope, domain: MS_DOMAIN });
  },
};
