/**
 * The one place that knows BERT's parameter names and shapes: Hugging Face
 * BertForPreTraining names (PyTorch layout, Linear weights are [out, in]), the full list of
 * parameters a config implies, validation of a WeightMap against it, and the mapping of
 * legacy / prefix-less checkpoint names onto the canonical ones (for importers).
 */
import type { BertConfig } from '../model-config';

/** One float32 tensor in row-major order. */
export interface WeightTensor {
  dims: number[];
  data: Float32Array;
}

/** Canonical (Hugging Face BertForPreTraining) parameter name → tensor. */
export type WeightMap = ReadonlyMap<string, WeightTensor>;

/** Names of a Linear layer's parameters. */
export interface LinearNames {
  weight: string;
  bias: string;
}

/** Names of a LayerNorm's parameters (`weight` = gamma, `bias` = beta). */
export interface LayerNormNames {
  weight: string;
  bias: string;
}

export interface EncoderLayerNames {
  query: LinearNames;
  key: LinearNames;
  value: LinearNames;
  attentionOutput: LinearNames;
  attentionLayerNorm: LayerNormNames;
  intermediate: LinearNames;
  output: LinearNames;
  outputLayerNorm: LayerNormNames;
}

const linear = (prefix: string): LinearNames => ({ weight: `${prefix}.weight`, bias: `${prefix}.bias` });

export const BERT_WEIGHT_NAMES = {
  wordEmbeddings: 'bert.embeddings.word_embeddings.weight',
  positionEmbeddings: 'bert.embeddings.position_embeddings.weight',
  tokenTypeEmbeddings: 'bert.embeddings.token_type_embeddings.weight',
  embeddingsLayerNorm: linear('bert.embeddings.LayerNorm') as LayerNormNames,
  layer(index: number): EncoderLayerNames {
    const p = `bert.encoder.layer.${index}`;
    return {
      query: linear(`${p}.attention.self.query`),
      key: linear(`${p}.attention.self.key`),
      value: linear(`${p}.attention.self.value`),
      attentionOutput: linear(`${p}.attention.output.dense`),
      attentionLayerNorm: linear(`${p}.attention.output.LayerNorm`),
      intermediate: linear(`${p}.intermediate.dense`),
      output: linear(`${p}.output.dense`),
      outputLayerNorm: linear(`${p}.output.LayerNorm`),
    };
  },
  pooler: linear('bert.pooler.dense'),
  mlmTransform: linear('cls.predictions.transform.dense'),
  mlmTransformLayerNorm: linear('cls.predictions.transform.LayerNorm') as LayerNormNames,
  /** The vocabulary projection's bias; its weight is tied to `wordEmbeddings`. */
  mlmDecoderBias: 'cls.predictions.bias',
  nsp: linear('cls.seq_relationship'),
  /** BertForSequenceClassification's head on the pooled output: [num_labels, hidden]. */
  classifier: linear('classifier'),
} as const;

/**
 * The optional parts of a checkpoint (the embeddings and encoder layers are always required).
 * BertForPreTraining has pooler + MLM + NSP, BertForMaskedLM usually MLM only, BertModel the
 * pooler only, BertForSequenceClassification pooler + classifier.
 */
export interface BertHeads {
  /** `bert.pooler.dense` (tanh over [CLS]); NSP and the classifier read its output. */
  pooler: boolean;
  /** `cls.predictions.*`: the masked-LM head (decoder tied to the word embeddings). */
  mlm: boolean;
  /** `cls.seq_relationship`: next-sentence prediction. */
  nsp: boolean;
  /** Labels of the sequence-classification head `classifier.*`; 0 when there is none. */
  classifierLabels: number;
}

export const PRE_TRAINING_HEADS: Readonly<BertHeads> = Object.freeze({ pooler: true, mlm: true, nsp: true, classifierLabels: 0 });

/** The heads whose first parameter is present in `weights` (canonical names). */
export function detectBertHeads(weights: WeightMap): BertHeads {
  const n = BERT_WEIGHT_NAMES;
  return {
    pooler: weights.has(n.pooler.weight),
    mlm: weights.has(n.mlmTransform.weight) || weights.has(n.mlmDecoderBias),
    nsp: weights.has(n.nsp.weight),
    classifierLabels: weights.get(n.classifier.weight)?.dims[0] ?? 0,
  };
}

/** Every parameter a BERT with `heads` (default: BertForPreTraining's) has for `config`, with its shape, in a fixed order. */
export function expectedBertWeights(
  config: BertConfig,
  heads: Readonly<BertHeads> = PRE_TRAINING_HEADS,
): Array<{ name: string; dims: number[] }> {
  const { vocabSize: V, hiddenSize: H, intermediateSize: I, maxPositionEmbeddings: P, typeVocabSize: T } = config;
  const n = BERT_WEIGHT_NAMES;
  const out: Array<{ name: string; dims: number[] }> = [];
  const addLinear = (names: LinearNames, outDim: number, inDim: number) => {
    out.push({ name: names.weight, dims: [outDim, inDim] }, { name: names.bias, dims: [outDim] });
  };
  const addLayerNorm = (names: LayerNormNames) => {
    out.push({ name: names.weight, dims: [H] }, { name: names.bias, dims: [H] });
  };

  out.push({ name: n.wordEmbeddings, dims: [V, H] });
  out.push({ name: n.positionEmbeddings, dims: [P, H] });
  out.push({ name: n.tokenTypeEmbeddings, dims: [T, H] });
  addLayerNorm(n.embeddingsLayerNorm);
  for (let i = 0; i < config.numHiddenLayers; i++) {
    const layer = n.layer(i);
    addLinear(layer.query, H, H);
    addLinear(layer.key, H, H);
    addLinear(layer.value, H, H);
    addLinear(layer.attentionOutput, H, H);
    addLayerNorm(layer.attentionLayerNorm);
    addLinear(layer.intermediate, I, H);
    addLinear(layer.output, H, I);
    addLayerNorm(layer.outputLayerNorm);
  }
  if (heads.pooler) addLinear(n.pooler, H, H);
  if (heads.mlm) {
    addLinear(n.mlmTransform, H, H);
    addLayerNorm(n.mlmTransformLayerNorm);
    out.push({ name: n.mlmDecoderBias, dims: [V] });
  }
  if (heads.nsp) addLinear(n.nsp, 2, H);
  if (heads.classifierLabels > 0) addLinear(n.classifier, heads.classifierLabels, H);
  return out;
}

/** Throws one error listing every missing parameter and every shape mismatch. */
export function checkBertWeights(config: BertConfig, weights: WeightMap, heads: Readonly<BertHeads> = PRE_TRAINING_HEADS): void {
  const problems: string[] = [];
  if ((heads.nsp || heads.classifierLabels > 0) && !heads.pooler) problems.push('NSP and classifier heads need the pooler');
  for (const { name, dims } of expectedBertWeights(config, heads)) {
    const tensor = weights.get(name);
    if (tensor === undefined) {
      problems.push(`missing ${name}`);
      continue;
    }
    const size = tensor.dims.reduce((a, b) => a * b, 1);
    if (tensor.dims.length !== dims.length || tensor.dims.some((d, i) => d !== dims[i])) {
      problems.push(`${name} has shape [${tensor.dims.join(', ')}], expected [${dims.join(', ')}]`);
    } else if (tensor.data.length !== size) {
      problems.push(`${name} has ${tensor.data.length} values for shape [${dims.join(', ')}]`);
    }
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join('; ');
    const more = problems.length > 10 ? `; and ${problems.length - 10} more` : '';
    throw new Error(`BERT weights do not match the config: ${shown}${more}`);
  }
}

/**
 * Maps a checkpoint parameter name to its canonical BertForPreTraining name: adds the
 * `bert.` prefix that BertModel checkpoints lack, renames TF-era LayerNorm `gamma`/`beta`
 * to `weight`/`bias`, and `cls.predictions.decoder.bias` to `cls.predictions.bias`.
 * Returns undefined for names that carry no separate parameter (the tied decoder weight,
 * `position_ids` buffers).
 */
export function canonicalBertWeightName(name: string): string | undefined {
  let canonical = name.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias');
  if (/^(embeddings|encoder|pooler)\./.test(canonical)) canonical = `bert.${canonical}`;
  if (canonical === 'cls.predictions.decoder.weight' || canonical.endsWith('.position_ids')) return undefined;
  if (canonical === 'cls.predictions.decoder.bias') return BERT_WEIGHT_NAMES.mlmDecoderBias;
  return canonical;
}
