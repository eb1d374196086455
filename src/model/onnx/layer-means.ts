/**
 * The `layer_means` output of the BERT graph (option `layerMeans`): for each hidden state (the
 * embeddings' LayerNorm output, then every encoder layer's output), the attention-mask-weighted
 * mean over token positions, stacked as float32 [batch, layers + 1, hidden]. These are the
 * features of the `layers-mean` pooling of linear heads (the BERT paper's feature-based
 * approach, which concatenates hidden layers).
 *
 * Computed as Σ_t h[:, t] · w[:, t] with w = mask / max(Σ mask, 1), mask = Cast(attention_mask)
 * as (B, S, 1): the same as Σ(h · mask) / Σ mask, but the weights are normalised first, so the
 * running sums stay at the size of the vectors themselves (better in float16). A row with no
 * token (all padding) gives zeros instead of a division by zero. Standard operators only, on
 * value names every variant produces, so fused, int8 and fp16 graphs get it unchanged (the fp16
 * pass casts the output back to float32 like every other output).
 */
import type { BertGraphContext } from './bert-graph-context';

const FLOAT = 1; // TensorProto.DataType.FLOAT (the fp16 pass turns it into FLOAT16)

/** Adds the (B, states, H) output `outputName` from the (B, S, H) hidden states `states`. */
export function addLayerMeans(ctx: BertGraphContext, attentionMask: string, states: readonly string[], outputName: string): string {
  const b = ctx.builder;
  const scope = 'layer_means';
  const axes1 = ctx.int64('axes_1', [1]);
  const mask = b.op('Unsqueeze', [b.op('Cast', [attentionMask], { scope, attributes: { to: { int: FLOAT } } }), ctx.int64('axes_last', [-1])], {
    scope,
  }); // (B, S, 1)
  const tokens = b.op('Max', [b.op('ReduceSum', [mask, axes1], { scope }), ctx.float('one', [1])], { scope }); // (B, 1, 1)
  const weights = b.op('Div', [mask, tokens], { scope }); // (B, S, 1), each row sums to 1
  // ReduceSum keeps the reduced axis (keepdims defaults to 1): (B, 1, H) per state.
  const means = states.map((h) => b.op('ReduceSum', [b.op('Mul', [h, weights], { scope }), axes1], { scope }));
  return b.op('Concat', means, { scope, outputName, attributes: { axis: { int: 1 } } });
}
