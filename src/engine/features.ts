/**
 * Sentence features from the frozen encoder, the input of linear ("BERT linear") heads:
 * one vector per text (`featureSize` floats: hidden_size, or (layers + 1) · hidden_size for
 * 'layers-mean'), extracted in length-sorted batches with a progress callback and cancellation.
 *
 * Pooling:
 *  - 'mean' (default): the average of the last layer's vectors over the text's own word
 *    pieces (attention mask 1, `[CLS]`/`[SEP]` left out: they look alike in every input and
 *    only dilute the average). For a frozen encoder this is usually the better sentence
 *    feature: BERT's `[CLS]` output was never trained to mean the sentence.
 *  - 'cls': the last layer's vector at `[CLS]` (`sequence_output[:, 0]`), the "final hidden
 *    vector C" the BERT paper puts a classifier on. Not `pooled_output`: that is a tanh layer
 *    trained only for next-sentence prediction, and it saturates near ±1 (see the
 *    sequence-classifier fixture), which leaves a linear head less to work with.
 *  - 'layers-mean': the average over the attention mask (`[CLS]` and `[SEP]` included) of the
 *    embedding output and of every layer's output, concatenated (embeddings first): the BERT
 *    paper's feature-based approach, which concatenates hidden layers. Read from the graph's
 *    `layer_means` output (compiled in by `bert-lens import`); on rt-polarity it beat
 *    last-layer mean pooling by ~3 points of accuracy in a PyTorch experiment.
 *
 * Example:
 *   const vectors = await extractFeatures(model, ['great film', 'dull plot'], { pooling: 'mean' });
 *   // vectors.features[0]: Float32Array(hidden_size)
 */
import type { BertModel } from './session';
import type { EncodedInput } from './types';

export const POOLINGS = ['mean', 'cls', 'layers-mean'] as const;
export type Pooling = (typeof POOLINGS)[number];
export const DEFAULT_POOLING: Pooling = 'mean';
export const DEFAULT_FEATURE_BATCH_SIZE = 16;

export interface FeatureProgress {
  /** Texts whose features are done. */
  done: number;
  total: number;
}

export interface ExtractFeaturesOptions {
  pooling?: Pooling;
  /** Texts per model run (default 16); texts of similar length share a batch. */
  batchSize?: number;
  /** Called after each batch. */
  onProgress?: (progress: FeatureProgress) => void;
  /** Aborting stops before the next batch; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface ExtractedFeatures {
  pooling: Pooling;
  hiddenSize: number;
  /** Length of each feature vector (`featureSize`). */
  featureSize: number;
  /** One vector per input text, in input order. */
  features: Float32Array[];
  /** Per text: true when it was longer than the model reads and was cut. */
  truncated: boolean[];
}

export function isPooling(value: unknown): value is Pooling {
  return typeof value === 'string' && (POOLINGS as readonly string[]).includes(value);
}

/** Floats per feature vector: `hiddenSize`, or (numHiddenLayers + 1) · hiddenSize for 'layers-mean'. */
export function featureSize(pooling: Pooling, hiddenSize: number, numHiddenLayers: number): number {
  return pooling === 'layers-mean' ? (numHiddenLayers + 1) * hiddenSize : hiddenSize;
}

/** The graph output a pooling reads. */
const POOLING_OUTPUT = { mean: 'sequence_output', cls: 'sequence_output', 'layers-mean': 'layer_means' } as const;

/** Features of every text; throws (naming the input) on an empty text. */
export async function extractFeatures(
  model: BertModel,
  texts: readonly string[],
  options: ExtractFeaturesOptions = {},
): Promise<ExtractedFeatures> {
  const pooling = options.pooling ?? DEFAULT_POOLING;
  if (!isPooling(pooling)) throw new Error(`pooling must be one of ${POOLINGS.join(', ')}, got ${JSON.stringify(pooling)}`);
  const batchSize = options.batchSize ?? DEFAULT_FEATURE_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const output = POOLING_OUTPUT[pooling];
  if (output === 'layer_means' && !model.hasOutput(output)) {
    throw new Error(
      `The model in ${model.folder.dir} has no layer_means output, which 'layers-mean' pooling reads (it was compiled ` +
        'without it); re-import its checkpoint with `bert-lens import CHECKPOINT --out DIR` (imports include it), or use mean or cls pooling',
    );
  }
  if (!model.hasOutput(output)) {
    throw new Error(`The model in ${model.folder.dir} has no ${output}, so it cannot give features for a linear head`);
  }
  texts.forEach((text, i) => {
    if (text.trim() === '') throw new Error(texts.length > 1 ? `Input ${i + 1}: the text is empty` : 'The text is empty');
  });
  const signal = options.signal;
  signal?.throwIfAborted();

  const { hiddenSize, numHiddenLayers } = model.folder.config;
  const size = featureSize(pooling, hiddenSize, numHiddenLayers);
  const features: Float32Array[] = new Array(texts.length);
  // Tokenise in slices so that cancellation and progress stay responsive on big files.
  const order = texts.map((_, i) => i);
  const encoded: EncodedInput[] = new Array(texts.length);
  const tokenizeSlice = 1024;
  for (let first = 0; first < texts.length; first += tokenizeSlice) {
    signal?.throwIfAborted();
    const slice = await model.tokenizer.encodeBatch(texts.slice(first, first + tokenizeSlice));
    slice.forEach((input, j) => (encoded[first + j] = input));
  }
  order.sort((a, b) => encoded[a].ids.length - encoded[b].ids.length);

  let done = 0;
  for (let first = 0; first < order.length; first += batchSize) {
    signal?.throwIfAborted();
    const chunk = order.slice(first, first + batchSize);
    const inputs = chunk.map((i) => encoded[i]);
    const { outputs, seqLength } = await model.run(inputs, { outputs: [output] });
    const { data, dims } = outputs[output];
    if (dims[2] !== hiddenSize) throw new Error(`${output} has ${dims[2]} features per vector, config.json says hidden_size ${hiddenSize}`);
    if (output === 'layer_means' && dims[1] !== numHiddenLayers + 1) {
      throw new Error(`layer_means has ${dims[1]} hidden states, config.json says ${numHiddenLayers} layers (+ 1 for the embeddings)`);
    }
    chunk.forEach((textIndex, b) => {
      // layer_means rows are (layers + 1, hidden), row-major: one flat vector, embeddings first.
      features[textIndex] =
        pooling === 'layers-mean' ? data.slice(b * size, (b + 1) * size) : poolRow(data, b, seqLength, hiddenSize, encoded[textIndex], pooling);
    });
    done += chunk.length;
    options.onProgress?.({ done, total: texts.length });
  }
  return { pooling, hiddenSize, featureSize: size, features, truncated: encoded.map((input) => input.truncated) };
}

/** Pools the token vectors of batch row `b` of a [batch, seq, hidden] tensor. */
export function poolRow(
  data: Float32Array,
  b: number,
  seqLength: number,
  hiddenSize: number,
  input: Pick<EncodedInput, 'attentionMask' | 'sequenceIds'>,
  pooling: Exclude<Pooling, 'layers-mean'>,
): Float32Array {
  const rowStart = b * seqLength * hiddenSize;
  if (pooling === 'cls') return data.slice(rowStart, rowStart + hiddenSize);
  const sum = new Float64Array(hiddenSize);
  let count = 0;
  // A text the tokenizer reduces to nothing (only control characters) averages [CLS] and [SEP].
  const textTokens = input.sequenceIds.some((s, t) => s !== null && input.attentionMask[t] === 1);
  for (let t = 0; t < input.attentionMask.length; t++) {
    if (input.attentionMask[t] !== 1 || (textTokens && input.sequenceIds[t] === null)) continue;
    const at = rowStart + t * hiddenSize;
    for (let h = 0; h < hiddenSize; h++) sum[h] += data[at + h];
    count++;
  }
  const mean = new Float32Array(hiddenSize);
  for (let h = 0; h < hiddenSize; h++) mean[h] = sum[h] / count;
  return mean;
}
