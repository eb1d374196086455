/**
 * The Hugging Face BERT `config.json`: the `BertConfig` type the rest of the code uses and
 * `parseBertConfig`, which validates a parsed JSON value and says exactly what is missing or
 * unsupported. Optional fields default to the values of transformers' `BertConfig`.
 */

export interface BertConfig {
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  /**
   * 'gelu': the exact (erf) GELU, Hugging Face's "gelu" / "gelu_python".
   * 'gelu_new': the tanh approximation, Hugging Face's "gelu_new" / "gelu_pytorch_tanh" / "gelu_fast".
   */
  hiddenAct: 'gelu' | 'gelu_new';
  layerNormEps: number;
  typeVocabSize: number;
  maxPositionEmbeddings: number;
  /** e.g. ["BertForPreTraining"]; empty when the file names none. */
  architectures: string[];
  /** Class labels by id (0..n-1), from `id2label`, when the file has one. */
  id2label?: string[];
  /** `pad_token_id`, 0 when absent (as in transformers). */
  padTokenId: number;
}

/** transformers' BertConfig defaults for the fields a config.json may leave out. */
const DEFAULTS = {
  hidden_act: 'gelu',
  layer_norm_eps: 1e-12,
  type_vocab_size: 2,
  max_position_embeddings: 512,
  pad_token_id: 0,
} as const;

const GELU_NAMES: Record<string, BertConfig['hiddenAct']> = {
  gelu: 'gelu',
  gelu_python: 'gelu',
  gelu_new: 'gelu_new',
  gelu_pytorch_tanh: 'gelu_new',
  gelu_fast: 'gelu_new',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class ConfigReader {
  constructor(private readonly json: Record<string, unknown>, private readonly source: string) {}

  fail(message: string): never {
    throw new Error(`Invalid BERT config ${this.source}: ${message}`);
  }

  positiveInteger(key: string, fallback?: number): number {
    const value = this.json[key] ?? fallback;
    if (value === undefined) this.fail(`missing required field "${key}"`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      this.fail(`"${key}" must be a positive integer, got ${JSON.stringify(value)}`);
    }
    return value;
  }

  nonNegativeInteger(key: string, fallback: number): number {
    const value = this.json[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      this.fail(`"${key}" must be a non-negative integer, got ${JSON.stringify(value)}`);
    }
    return value;
  }
}

function readId2label(reader: ConfigReader, value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) reader.fail(`"id2label" must be an object mapping ids to labels`);
  const entries = Object.entries(value);
  const labels: string[] = new Array(entries.length);
  for (const [key, label] of entries) {
    const id = Number(key);
    if (!Number.isInteger(id) || id < 0 || id >= entries.length || String(id) !== key) {
      reader.fail(`"id2label" keys must be the ids 0..${entries.length - 1}, got "${key}"`);
    }
    if (typeof label !== 'string') reader.fail(`"id2label"["${key}"] must be a string`);
    labels[id] = label;
  }
  return labels;
}

/**
 * Validates a parsed Hugging Face BERT config.json. `source` (usually the file path) is
 * quoted in every error message.
 */
export function parseBertConfig(json: unknown, source: string): BertConfig {
  if (!isRecord(json)) throw new Error(`Invalid BERT config ${source}: expected a JSON object`);
  const reader: ConfigReader = new ConfigReader(json, source); // annotated so fail() narrows types

  const modelType = json.model_type;
  if (modelType !== undefined && modelType !== 'bert') {
    reader.fail(`unsupported model_type ${JSON.stringify(modelType)} (only "bert" is supported)`);
  }

  const architectures = json.architectures ?? [];
  if (!Array.isArray(architectures) || !architectures.every((a) => typeof a === 'string')) {
    reader.fail(`"architectures" must be a list of strings`);
  }
  const foreign = architectures.filter((a) => !a.startsWith('Bert'));
  if (foreign.length > 0) reader.fail(`unsupported architecture ${foreign.join(', ')} (expected a Bert* class)`);

  const hiddenAct = json.hidden_act ?? DEFAULTS.hidden_act;
  if (typeof hiddenAct !== 'string' || !Object.hasOwn(GELU_NAMES, hiddenAct)) {
    reader.fail(`unsupported hidden_act ${JSON.stringify(hiddenAct)} (supported: ${Object.keys(GELU_NAMES).map((n) => `"${n}"`).join(', ')})`);
  }

  const positionType = json.position_embedding_type;
  if (positionType !== undefined && positionType !== 'absolute') {
    reader.fail(`unsupported position_embedding_type ${JSON.stringify(positionType)} (only "absolute")`);
  }

  const layerNormEps = json.layer_norm_eps ?? DEFAULTS.layer_norm_eps;
  if (typeof layerNormEps !== 'number' || !(layerNormEps > 0) || !Number.isFinite(layerNormEps)) {
    reader.fail(`"layer_norm_eps" must be a positive number, got ${JSON.stringify(layerNormEps)}`);
  }

  const hiddenSize = reader.positiveInteger('hidden_size');
  const numAttentionHeads = reader.positiveInteger('num_attention_heads');
  if (hiddenSize % numAttentionHeads !== 0) {
    reader.fail(`hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${numAttentionHeads}`);
  }

  const config: BertConfig = {
    vocabSize: reader.positiveInteger('vocab_size'),
    hiddenSize,
    numHiddenLayers: reader.positiveInteger('num_hidden_layers'),
    numAttentionHeads,
    intermediateSize: reader.positiveInteger('intermediate_size'),
    hiddenAct: GELU_NAMES[hiddenAct],
    layerNormEps,
    typeVocabSize: reader.positiveInteger('type_vocab_size', DEFAULTS.type_vocab_size),
    maxPositionEmbeddings: reader.positiveInteger('max_position_embeddings', DEFAULTS.max_position_embeddings),
    architectures: [...architectures],
    padTokenId: reader.nonNegativeInteger('pad_token_id', DEFAULTS.pad_token_id),
  };
  if (config.padTokenId >= config.vocabSize) {
    reader.fail(`pad_token_id ${config.padTokenId} is outside the vocabulary (vocab_size ${config.vocabSize})`);
  }
  const id2label = readId2label(reader, json.id2label);
  if (id2label !== undefined) config.id2label = id2label;
  return config;
}
