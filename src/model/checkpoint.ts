/**
 * Hugging Face BERT checkpoint folders: finds config.json, the safetensors weights (one file or
 * shards listed in model.safetensors.index.json) and the vocabulary (vocab.txt, or the WordPiece
 * vocabulary inside tokenizer.json); maps the checkpoint's parameter names onto canonical ones;
 * works out which heads (pooler, MLM, NSP, sequence classifier) are usable, with a message for
 * each one that is off; and loads the weights as float32. Pickled `.bin` checkpoints are refused.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseBertConfig, type BertConfig } from './model-config';
import {
  BERT_WEIGHT_NAMES,
  canonicalBertWeightName,
  checkBertWeights,
  expectedBertWeights,
  type BertHeads,
  type WeightTensor,
} from './onnx/bert-weights';
import { SafetensorsFile } from './safetensors';

export class CheckpointError extends Error {
  constructor(message: string, readonly path: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** Where the WordPiece vocabulary comes from. */
export type VocabSource = { kind: 'vocab.txt'; path: string } | { kind: 'tokenizer.json'; path: string };

export interface CheckpointInfo {
  dir: string;
  configPath: string;
  /** config.json exactly as stored (copied verbatim into compiled folders). */
  configText: string;
  config: BertConfig;
  /** Absolute paths of the safetensors files, in shard order. */
  weightFiles: string[];
  vocabSource: VocabSource;
  /** The vocabulary, id = index. */
  vocab: string[];
  /** tokenizer_config.json as stored, or one derived from tokenizer.json's normalizer; undefined if neither says anything. */
  tokenizerConfigText?: string;
  /** Other tokenizer files worth carrying along (tokenizer.json, special_tokens_map.json). */
  extraTokenizerFiles: string[];
  /** The heads that will be compiled. */
  heads: BertHeads;
  /** Class labels of the classifier head (from id2label, or LABEL_i when the config has none). */
  labels?: string[];
  /** One line per head that is off, and per group of ignored tensors. */
  notes: string[];
  /** Parameters that will be loaded, and their stored dtypes. */
  parameterCount: number;
  dtypes: Record<string, number>;
  /** Total bytes of the weight files. */
  weightBytes: number;
}

export interface Checkpoint extends CheckpointInfo {
  /** Canonical name → float32 tensor, exactly the parameters `heads` needs. */
  weights: Map<string, WeightTensor>;
}

interface StoredTensor {
  file: SafetensorsFile;
  /** The name in the checkpoint. */
  name: string;
  dtype: string;
  shape: number[];
}

const PICKLED_WEIGHT_FILES = ['pytorch_model.bin', 'pytorch_model.bin.index.json', 'model.ckpt.index', 'tf_model.h5', 'flax_model.msgpack'];
const SHARD_NAME = /^[\w.-]+\.safetensors$/;
/** Architectures whose `classifier.*` is not a sequence classifier on the pooled output. */
const OTHER_CLASSIFIERS = ['BertForTokenClassification', 'BertForMultipleChoice'];

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

async function readJson(path: string): Promise<{ text: string; value: unknown }> {
  const text = await readFile(path, 'utf8');
  try {
    return { text, value: JSON.parse(text) };
  } catch (error) {
    throw new CheckpointError(`Invalid JSON in ${path}: ${(error as Error).message}`, path);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The safetensors files of the checkpoint, or an error that says what to use instead. */
async function findWeightFiles(dir: string): Promise<string[]> {
  const single = join(dir, 'model.safetensors');
  if (await isFile(single)) return [single];
  const indexPath = join(dir, 'model.safetensors.index.json');
  if (await isFile(indexPath)) {
    const { value } = await readJson(indexPath);
    const weightMap = isRecord(value) ? value.weight_map : undefined;
    if (!isRecord(weightMap)) throw new CheckpointError(`${indexPath} has no "weight_map" object`, indexPath);
    const shards = [...new Set(Object.values(weightMap))];
    for (const shard of shards) {
      if (typeof shard !== 'string' || !SHARD_NAME.test(shard) || shard !== basename(shard) || shard.startsWith('.')) {
        throw new CheckpointError(`${indexPath} names an invalid shard file ${JSON.stringify(shard)}`, indexPath);
      }
      if (!(await isFile(join(dir, shard)))) throw new CheckpointError(`Missing shard ${join(dir, shard)} (listed in ${indexPath})`, indexPath);
    }
    return (shards as string[]).sort().map((shard) => join(dir, shard));
  }
  const found = [];
  for (const name of PICKLED_WEIGHT_FILES) if (await isFile(join(dir, name))) found.push(name);
  if (found.length > 0) {
    throw new CheckpointError(
      `${dir} has no model.safetensors, only ${found.join(', ')}. BERT Lens reads safetensors checkpoints only ` +
        '(pickled PyTorch .bin files can run code when loaded, so they are never opened). Use a checkpoint that ' +
        'includes model.safetensors (most Hub models do; or save it with save_pretrained(..., safe_serialization=True)).',
      dir,
    );
  }
  throw new CheckpointError(`${dir} has no model.safetensors (or model.safetensors.index.json with shards)`, dir);
}

/** The WordPiece vocabulary of tokenizer.json (`model.vocab`: token → id), ids 0..n-1. */
function vocabFromTokenizerJson(value: unknown, path: string): string[] {
  const model = isRecord(value) ? value.model : undefined;
  if (!isRecord(model) || model.type !== 'WordPiece' || !isRecord(model.vocab)) {
    throw new CheckpointError(`${path} has no WordPiece vocabulary (model.type must be "WordPiece")`, path);
  }
  const entries = Object.entries(model.vocab);
  const tokens: string[] = new Array(entries.length);
  for (const [token, id] of entries) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= entries.length || tokens[id] !== undefined) {
      throw new CheckpointError(`${path}: the vocabulary ids are not exactly 0..${entries.length - 1} (token ${JSON.stringify(token)})`, path);
    }
    tokens[id] = token;
  }
  return tokens;
}

/** tokenizer_config.json fields implied by tokenizer.json's BertNormalizer, when it has one. */
function tokenizerConfigFromTokenizerJson(value: unknown): Record<string, unknown> | undefined {
  const normalizer = isRecord(value) ? value.normalizer : undefined;
  if (!isRecord(normalizer) || normalizer.type !== 'BertNormalizer') return undefined;
  const out: Record<string, unknown> = {};
  if (typeof normalizer.lowercase === 'boolean') out.do_lower_case = normalizer.lowercase;
  if (typeof normalizer.strip_accents === 'boolean') out.strip_accents = normalizer.strip_accents;
  if (typeof normalizer.handle_chinese_chars === 'boolean') out.tokenize_chinese_chars = normalizer.handle_chinese_chars;
  return out;
}

const sameDims = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** Everything about the checkpoint in `dir` except the weight values; the files stay open for `loadCheckpoint`. */
async function inspect(dir: string): Promise<{ info: CheckpointInfo; stored: Map<string, StoredTensor>; files: SafetensorsFile[] }> {
  const absDir = resolve(dir);
  const dirStat = await stat(absDir).catch(() => undefined);
  if (!dirStat) throw new CheckpointError(`Checkpoint folder not found: ${absDir}`, absDir);
  if (!dirStat.isDirectory()) throw new CheckpointError(`Checkpoint path is not a folder: ${absDir}`, absDir);

  const configPath = join(absDir, 'config.json');
  if (!(await isFile(configPath))) {
    throw new CheckpointError(
      `${absDir} has no config.json; a Hugging Face BERT checkpoint folder holds config.json, model.safetensors and vocab.txt (or tokenizer.json)`,
      configPath,
    );
  }
  const { text: configText, value: rawConfig } = await readJson(configPath);
  let config: BertConfig;
  try {
    config = parseBertConfig(rawConfig, configPath);
  } catch (error) {
    throw new CheckpointError((error as Error).message, configPath);
  }

  const weightFiles = await findWeightFiles(absDir);

  // Vocabulary and tokenizer settings.
  const vocabPath = join(absDir, 'vocab.txt');
  const tokenizerJsonPath = join(absDir, 'tokenizer.json');
  const tokenizerConfigPath = join(absDir, 'tokenizer_config.json');
  const tokenizerJson = (await isFile(tokenizerJsonPath)) ? (await readJson(tokenizerJsonPath)).value : undefined;
  let vocabSource: VocabSource;
  let vocab: string[];
  if (await isFile(vocabPath)) {
    vocabSource = { kind: 'vocab.txt', path: vocabPath };
    const lines = (await readFile(vocabPath, 'utf8')).split(/\r?\n/);
    if (lines.at(-1) === '') lines.pop();
    vocab = lines;
  } else if (tokenizerJson !== undefined) {
    vocabSource = { kind: 'tokenizer.json', path: tokenizerJsonPath };
    vocab = vocabFromTokenizerJson(tokenizerJson, tokenizerJsonPath);
  } else {
    throw new CheckpointError(`${absDir} has neither vocab.txt nor tokenizer.json, so its vocabulary is unknown`, absDir);
  }
  // Fewer tokens than vocab_size: the embedding table is padded (e.g. to a multiple of 8).
  if (vocab.length > config.vocabSize) {
    throw new CheckpointError(
      `${vocabSource.path} has ${vocab.length} tokens but config.json says vocab_size is ${config.vocabSize}: ids past ${config.vocabSize - 1} would have no embedding`,
      vocabSource.path,
    );
  }
  let tokenizerConfigText: string | undefined;
  if (await isFile(tokenizerConfigPath)) {
    tokenizerConfigText = await readFile(tokenizerConfigPath, 'utf8');
  } else {
    const derived = tokenizerConfigFromTokenizerJson(tokenizerJson);
    if (derived && Object.keys(derived).length > 0) tokenizerConfigText = `${JSON.stringify(derived, null, 2)}\n`;
  }
  const extraTokenizerFiles: string[] = [];
  for (const name of ['tokenizer.json', 'special_tokens_map.json']) {
    if (await isFile(join(absDir, name))) extraTokenizerFiles.push(join(absDir, name));
  }

  // Tensor names → canonical names.
  const files: SafetensorsFile[] = [];
  const stored = new Map<string, StoredTensor>();
  const tied: string[] = [];
  const notes: string[] = [];
  let weightBytes = 0;
  try {
    for (const path of weightFiles) {
      const file = await SafetensorsFile.open(path);
      files.push(file);
      weightBytes += file.fileSize;
      for (const entry of file.header.entries) {
        const canonical = canonicalBertWeightName(entry.name);
        if (canonical === undefined) {
          tied.push(entry.name);
          continue;
        }
        const earlier = stored.get(canonical);
        if (earlier) {
          throw new CheckpointError(`${path}: "${entry.name}" and "${earlier.name}" are both ${canonical}`, path);
        }
        stored.set(canonical, { file, name: entry.name, dtype: entry.dtype, shape: entry.shape });
      }
    }
  } catch (error) {
    await Promise.all(files.map((f) => f.close()));
    throw error;
  }
  const rawObject = rawConfig as Record<string, unknown>;
  if (tied.includes('cls.predictions.decoder.weight') && rawObject.tie_word_embeddings === false) {
    await Promise.all(files.map((f) => f.close()));
    throw new CheckpointError(
      `${configPath} sets tie_word_embeddings to false: an MLM decoder separate from the word embeddings is not supported`,
      configPath,
    );
  }

  const fail = async (message: string, path = weightFiles[0]): Promise<never> => {
    await Promise.all(files.map((f) => f.close()));
    throw new CheckpointError(message, path);
  };
  const has = (names: readonly string[]) => names.every((n) => stored.has(n));
  const missingOf = (names: readonly string[]) => names.filter((n) => !stored.has(n));
  const where = weightFiles.length === 1 ? weightFiles[0] : `${weightFiles.length} shards in ${absDir}`;

  // The encoder is required; each head is all-or-nothing.
  const noHeads: BertHeads = { pooler: false, mlm: false, nsp: false, classifierLabels: 0 };
  const encoderNames = expectedBertWeights(config, noHeads).map((w) => w.name);
  const missingEncoder = missingOf(encoderNames);
  if (missingEncoder.length > 0) {
    const shown = missingEncoder.slice(0, 12).join(', ');
    const more = missingEncoder.length > 12 ? ` and ${missingEncoder.length - 12} more` : '';
    await fail(`${where} lacks ${missingEncoder.length} BERT encoder weights: ${shown}${more}`);
  }

  const n = BERT_WEIGHT_NAMES;
  const poolerNames = [n.pooler.weight, n.pooler.bias];
  const mlmNames = [
    n.mlmTransform.weight, n.mlmTransform.bias,
    n.mlmTransformLayerNorm.weight, n.mlmTransformLayerNorm.bias,
    n.mlmDecoderBias,
  ];
  const nspNames = [n.nsp.weight, n.nsp.bias];
  const classifierNames = [n.classifier.weight, n.classifier.bias];

  const heads: BertHeads = { ...noHeads };
  heads.pooler = has(poolerNames);
  if (!heads.pooler) notes.push('No pooler (bert.pooler.dense): pooled output, next-sentence prediction and classification are off.');

  if (has(mlmNames)) heads.mlm = true;
  else if (missingOf(mlmNames).length < mlmNames.length) {
    notes.push(`Masked-LM head incomplete (missing ${missingOf(mlmNames).join(', ')}): fill-mask is off for this model.`);
  } else notes.push('No masked-LM head (cls.predictions.*): fill-mask is off for this model.');

  if (has(nspNames) && heads.pooler) heads.nsp = true;
  else if (has(nspNames)) notes.push('Next-sentence head present but no pooler to feed it: NSP is off.');
  else notes.push('No next-sentence-prediction head (cls.seq_relationship.*, pre-training checkpoints only): NSP is off.');

  let labels: string[] | undefined;
  if (has(classifierNames)) {
    const rows = stored.get(n.classifier.weight)!.shape[0] ?? 0;
    const otherKind = config.architectures.find((a) => OTHER_CLASSIFIERS.includes(a));
    if (otherKind) notes.push(`classifier.* belongs to ${otherKind}, which BERT Lens does not run: classification is off.`);
    else if (!heads.pooler) notes.push('Classifier present but no pooler to feed it: classification is off.');
    else if (config.id2label && config.id2label.length !== rows) {
      notes.push(`config.json id2label has ${config.id2label.length} labels but classifier.weight has ${rows} rows: classification is off.`);
    } else {
      heads.classifierLabels = rows;
      labels = config.id2label ?? Array.from({ length: rows }, (_, i) => `LABEL_${i}`);
      if (!config.id2label) notes.push(`config.json has no id2label: the ${rows} classes are named LABEL_0..LABEL_${rows - 1}.`);
    }
  } else if (missingOf(classifierNames).length < classifierNames.length) {
    notes.push(`Classifier incomplete (missing ${missingOf(classifierNames).join(', ')}): classification is off.`);
  }

  // Shapes of everything that will be loaded, checked from the headers before reading.
  const wanted = expectedBertWeights(config, heads);
  const problems: string[] = [];
  for (const { name, dims } of wanted) {
    const tensor = stored.get(name)!;
    if (!sameDims(tensor.shape, dims)) problems.push(`${tensor.name} has shape [${tensor.shape.join(', ')}], expected [${dims.join(', ')}]`);
    else if (!['F32', 'F16', 'BF16'].includes(tensor.dtype)) problems.push(`${tensor.name} is ${tensor.dtype} (only F32, F16, BF16)`);
  }
  if (problems.length > 0) await fail(`${where} does not match config.json: ${problems.slice(0, 12).join('; ')}`);

  const wantedNames = new Set(wanted.map((w) => w.name));
  const ignored = [...stored.keys()].filter((name) => !wantedNames.has(name)).map((name) => stored.get(name)!.name);
  if (ignored.length > 0) {
    notes.push(`Ignored ${ignored.length} tensor${ignored.length === 1 ? '' : 's'} no compiled head uses: ${ignored.slice(0, 6).join(', ')}${ignored.length > 6 ? ', …' : ''}`);
  }
  const dtypes: Record<string, number> = {};
  let parameterCount = 0;
  for (const { name, dims } of wanted) {
    const dtype = stored.get(name)!.dtype;
    dtypes[dtype] = (dtypes[dtype] ?? 0) + 1;
    parameterCount += dims.reduce((a, b) => a * b, 1);
  }
  for (const name of [...stored.keys()]) if (!wantedNames.has(name)) stored.delete(name);

  const info: CheckpointInfo = {
    dir: absDir,
    configPath,
    configText,
    config,
    weightFiles,
    vocabSource,
    vocab,
    tokenizerConfigText,
    extraTokenizerFiles,
    heads,
    labels,
    notes,
    parameterCount,
    dtypes,
    weightBytes,
  };
  return { info, stored, files };
}

/** Reads and validates the checkpoint folder `dir` without loading weight values. */
export async function inspectCheckpoint(dir: string): Promise<CheckpointInfo> {
  const { info, files } = await inspect(dir);
  await Promise.all(files.map((f) => f.close()));
  return info;
}

/** Reads the checkpoint folder `dir` and loads the weights its usable heads need, as float32. */
export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const { info, stored, files } = await inspect(dir);
  const weights = new Map<string, WeightTensor>();
  try {
    for (const [canonical, tensor] of stored) weights.set(canonical, await tensor.file.readFloat32(tensor.name));
  } finally {
    await Promise.all(files.map((f) => f.close()));
  }
  checkBertWeights(info.config, weights, info.heads);
  return { ...info, weights };
}
