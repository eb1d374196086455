/**
 * Linear heads on the frozen encoder's features ("BERT linear" in SPEC.md): the JSON file
 * format (`.bert-lens/heads/NAME.json`), its validation with errors that name the field, the
 * fingerprint of the model a head was trained on, and applying a head to features:
 * p = softmax(W · ((x − mean) / std) + b).
 *
 * File format, version 1:
 *   { "format": "bert-lens-linear-head", "version": 1, "name": "sentiment",
 *     "labels": ["negative", "positive"], "pooling": "mean" | "cls" | "layers-mean",
 *     "normalization": { "mean": [D], "std": [D] },
 *     "weights": [[D] per label], "bias": [one per label],
 *     "model": { "name": "bert-lens-mini", "hiddenSize": H, "vocabSha256": "…", "configSha256": "…",
 *                "numHiddenLayers": L (only, and required, for "layers-mean") },
 *     "training": { "examples": N, "date": "ISO 8601", "l2": 0.001, "iterations": 87,
 *                   "dataFile": "reviews.csv", "crossValidation": { folds, seed, metrics, foldAccuracies } | null } }
 *   D = H, or (L + 1) · H for "layers-mean" (features.ts `featureSize`).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { featureSize, isPooling, POOLINGS, type Pooling } from './features';
import type { ModelFolder } from './model-folder';
import type { Normalization } from './softmax-regression';
import type { CrossValidationReport } from './train-head';

export const LINEAR_HEAD_FORMAT = 'bert-lens-linear-head';
export const LINEAR_HEAD_VERSION = 1;

/** What identifies the encoder a head's features came from. */
export interface HeadModelIdentity {
  /** How the user named the model (`--model` value, bundled name or folder). */
  name: string;
  hiddenSize: number;
  /** Encoder layers: part of the feature size of 'layers-mean' heads, and recorded only in those. */
  numHiddenLayers?: number;
  /** SHA-256 of vocab.txt: a different vocabulary means different token ids. */
  vocabSha256: string;
  /** SHA-256 of the architecture fields of config.json (sizes, layers, activation). */
  configSha256: string;
}

export interface HeadTraining {
  examples: number;
  /** ISO 8601. */
  date: string;
  l2: number;
  iterations: number;
  dataFile?: string;
  crossValidation: CrossValidationReport | null;
}

export interface LinearHead {
  format: typeof LINEAR_HEAD_FORMAT;
  version: typeof LINEAR_HEAD_VERSION;
  name: string;
  labels: string[];
  pooling: Pooling;
  normalization: Normalization;
  /** labels × feature size (hiddenSize, or (numHiddenLayers + 1) · hiddenSize for 'layers-mean'). */
  weights: number[][];
  bias: number[];
  model: HeadModelIdentity;
  training: HeadTraining;
}

/** A head file that cannot be used; the message names the file and the field. */
export class LinearHeadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LinearHeadError';
  }
}

export async function readLinearHead(path: string): Promise<LinearHead> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new LinearHeadError(`cannot read the head ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LinearHeadError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseLinearHead(json, path);
}

export function serializeLinearHead(head: LinearHead): string {
  return `${JSON.stringify(head, null, 1)}\n`;
}

/**
 * Writes a head file, creating its folder. Without `overwrite` an existing file is an error
 * (checked atomically by the open, so two trainings cannot both write it).
 */
export async function writeLinearHead(path: string, head: LinearHead, options: { overwrite?: boolean } = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  try {
    await writeFile(path, serializeLinearHead(head), { flag: options.overwrite ? 'w' : 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new LinearHeadError(`${path} already exists`);
    throw error;
  }
}

/** Validates a parsed head file; `source` (usually its path) starts every error message. */
export function parseLinearHead(json: unknown, source: string): LinearHead {
  const fail = (message: string): never => {
    throw new LinearHeadError(`${source}: ${message}`);
  };
  if (!isRecord(json)) fail('expected a JSON object');
  const head = json as Record<string, unknown>;
  if (head.format !== LINEAR_HEAD_FORMAT) fail(`not a BERT Lens linear head ("format" must be "${LINEAR_HEAD_FORMAT}", got ${JSON.stringify(head.format)})`);
  if (head.version !== LINEAR_HEAD_VERSION) {
    const newer = typeof head.version === 'number' && head.version > LINEAR_HEAD_VERSION;
    fail(`unsupported version ${JSON.stringify(head.version)}${newer ? ' (written by a newer BERT Lens; update the extension)' : ` (expected ${LINEAR_HEAD_VERSION})`}`);
  }
  if (typeof head.name !== 'string' || head.name === '') fail('"name" must be a non-empty string');
  const labels = head.labels;
  if (!Array.isArray(labels) || labels.length < 2 || !labels.every((l) => typeof l === 'string' && l !== '')) {
    fail('"labels" must be a list of at least two non-empty strings');
  }
  const labelList = labels as string[];
  if (new Set(labelList).size !== labelList.length) fail('"labels" has duplicates');
  if (!isPooling(head.pooling)) fail(`"pooling" must be one of ${POOLINGS.map((p) => `"${p}"`).join(', ')}, got ${JSON.stringify(head.pooling)}`);

  if (!isRecord(head.model)) fail('"model" must be an object');
  const model = head.model as Record<string, unknown>;
  const hiddenSize = model.hiddenSize;
  if (typeof hiddenSize !== 'number' || !Number.isInteger(hiddenSize) || hiddenSize < 1) fail('"model.hiddenSize" must be a positive integer');
  const layers = model.numHiddenLayers;
  const layersGiven = layers !== undefined;
  if (layersGiven && (typeof layers !== 'number' || !Number.isInteger(layers) || layers < 1)) fail('"model.numHiddenLayers" must be a positive integer');
  if (head.pooling === 'layers-mean' && !layersGiven) {
    fail('"model.numHiddenLayers" is required with "layers-mean" pooling (its features have (numHiddenLayers + 1) × hiddenSize values)');
  }
  const D = featureSize(head.pooling as Pooling, hiddenSize as number, (layers as number | undefined) ?? 0);
  for (const key of ['name', 'vocabSha256', 'configSha256']) {
    if (typeof model[key] !== 'string') fail(`"model.${key}" must be a string`);
  }

  const vector = (value: unknown, field: string, length: number): number[] => {
    if (!Array.isArray(value) || value.length !== length) fail(`"${field}" must be a list of ${length} numbers`);
    const list = value as unknown[];
    const bad = list.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (bad >= 0) fail(`"${field}"[${bad}] is not a finite number (${JSON.stringify(list[bad])})`);
    return list as number[];
  };
  if (!isRecord(head.normalization)) fail('"normalization" must be an object with "mean" and "std"');
  const normalization = head.normalization as Record<string, unknown>;
  const mean = vector(normalization.mean, 'normalization.mean', D);
  const std = vector(normalization.std, 'normalization.std', D);
  const zero = std.findIndex((s) => !(s > 0));
  if (zero >= 0) fail(`"normalization.std"[${zero}] must be positive`);
  if (!Array.isArray(head.weights) || head.weights.length !== labelList.length) {
    fail(`"weights" must have one row per label (${labelList.length} rows)`);
  }
  const weights = (head.weights as unknown[]).map((row, k) => vector(row, `weights[${k}]`, D));
  const bias = vector(head.bias, 'bias', labelList.length);

  if (!isRecord(head.training)) fail('"training" must be an object');
  const training = head.training as Record<string, unknown>;
  if (typeof training.examples !== 'number' || typeof training.date !== 'string') fail('"training" needs "examples" and "date"');

  return {
    format: LINEAR_HEAD_FORMAT,
    version: LINEAR_HEAD_VERSION,
    name: head.name as string,
    labels: labelList,
    pooling: head.pooling as Pooling,
    normalization: { mean, std },
    weights,
    bias,
    model: {
      name: model.name as string,
      hiddenSize: hiddenSize as number,
      vocabSha256: model.vocabSha256 as string,
      configSha256: model.configSha256 as string,
      ...(layersGiven ? { numHiddenLayers: layers as number } : {}),
    },
    training: training as unknown as HeadTraining,
  };
}

/** Label probabilities for one feature vector: softmax(W · standardised(x) + b), in `head.labels` order. */
export function applyLinearHead(head: LinearHead, features: ArrayLike<number>): number[] {
  const { mean, std } = head.normalization;
  if (features.length !== mean.length) throw new Error(`The head ${head.name} takes ${mean.length} features, got ${features.length}`);
  const normalized = Array.from(features, (x, i) => (x - mean[i]) / std[i]);
  const logits = head.weights.map((row, k) => row.reduce((sum, w, i) => sum + w * normalized[i], head.bias[k]));
  return softmax(logits);
}

export function softmax(logits: readonly number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

const identities = new Map<string, Promise<Omit<HeadModelIdentity, 'name'>>>();

/**
 * The fingerprint of a model folder (vocab.txt and config.json hashed once per folder), with its
 * layer count (a head records it only for 'layers-mean', see `headModelIdentity`).
 */
export async function modelIdentity(folder: ModelFolder, name: string): Promise<HeadModelIdentity> {
  let pending = identities.get(folder.dir);
  if (!pending) {
    pending = (async () => {
      const vocab = await readFile(folder.vocabPath);
      const { hiddenSize, numHiddenLayers, numAttentionHeads, intermediateSize, hiddenAct, vocabSize, maxPositionEmbeddings, typeVocabSize } =
        folder.config;
      const architecture = { hiddenSize, numHiddenLayers, numAttentionHeads, intermediateSize, hiddenAct, vocabSize, maxPositionEmbeddings, typeVocabSize };
      return {
        hiddenSize,
        numHiddenLayers,
        vocabSha256: createHash('sha256').update(vocab).digest('hex'),
        configSha256: createHash('sha256').update(JSON.stringify(architecture)).digest('hex'),
      };
    })();
    identities.set(folder.dir, pending);
    pending.catch(() => identities.delete(folder.dir));
  }
  return { name, ...(await pending) };
}

/** What a head with `pooling` records of its model: the identity, `numHiddenLayers` only for 'layers-mean'. */
export function headModelIdentity(identity: HeadModelIdentity, pooling: Pooling): HeadModelIdentity {
  const { numHiddenLayers, ...rest } = identity;
  return pooling === 'layers-mean' ? { ...rest, numHiddenLayers } : rest;
}

/**
 * Checks that `head` can run on the model with identity `actual`: throws when the hidden size
 * or the vocabulary differ (the features would mean nothing to the head); returns a warning
 * when only the architecture fields differ.
 */
export function checkHeadModel(head: LinearHead, actual: HeadModelIdentity): string | undefined {
  const trainedOn = `the head "${head.name}" was trained on the model ${head.model.name}`;
  if (head.model.hiddenSize !== actual.hiddenSize) {
    throw new LinearHeadError(`${trainedOn} (hidden size ${head.model.hiddenSize}); ${actual.name} has hidden size ${actual.hiddenSize}. Use --model ${head.model.name} or retrain the head on this model`);
  }
  if (head.pooling === 'layers-mean' && actual.numHiddenLayers !== undefined && head.model.numHiddenLayers !== actual.numHiddenLayers) {
    throw new LinearHeadError(
      `${trainedOn} (${head.model.numHiddenLayers} layers, layers-mean pooling); ${actual.name} has ${actual.numHiddenLayers} layers. Use --model ${head.model.name} or retrain the head on this model`,
    );
  }
  if (head.model.vocabSha256 !== actual.vocabSha256) {
    throw new LinearHeadError(`${trainedOn}, whose vocabulary differs from ${actual.name}'s. Use --model ${head.model.name} or retrain the head on this model`);
  }
  if (head.model.configSha256 !== actual.configSha256) {
    return `${trainedOn}; ${actual.name} has the same vocabulary but a different architecture, so its labels may be meaningless`;
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
