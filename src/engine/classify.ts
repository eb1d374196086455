/**
 * The classify task: label probabilities for texts, from either
 *  - a linear head (linear-head.ts) applied to the frozen encoder's pooled features, or
 *  - the model's own classifier head (`'model'`), compiled from a BertForSequenceClassification
 *    checkpoint: the graph's `classifier_logits` with labels from config.json `id2label`;
 *    softmax over the labels, or an independent sigmoid per label when config.json says
 *    `"problem_type": "multi_label_classification"` (scores then need not sum to 1).
 * Labels come back sorted by descending score.
 *
 * Example:
 *   const head = await readLinearHead('.bert-lens/heads/sentiment.json');
 *   const [result] = await classify(model, ['What a lovely film.'], head);
 *   // result.labels = [{ label: 'positive', score: 0.93 }, { label: 'negative', score: 0.07 }]
 */
import { readFile } from 'node:fs/promises';
import { extractFeatures, type FeatureProgress } from './features';
import { applyLinearHead, checkHeadModel, modelIdentity, softmax, type LinearHead } from './linear-head';
import type { BertModel } from './session';

export interface LabelScore {
  label: string;
  /** Probability in [0, 1]. */
  score: number;
}

export interface ClassifyResult {
  /** Sorted by descending score. */
  labels: LabelScore[];
  /** True when the text was longer than the model reads and was cut. */
  truncated: boolean;
  /** Wall time of the whole call (tokenisation, runs, head), ms. */
  latencyMs: number;
}

/** A linear head, or `'model'` for the classifier compiled into the model. */
export type ClassifierHead = LinearHead | 'model';

export interface ClassifyOptions {
  /** Texts per model run (default 16). */
  batchSize?: number;
  onProgress?: (progress: FeatureProgress) => void;
  signal?: AbortSignal;
  /** Told about a usable but doubtful head / model pairing. */
  onWarning?: (message: string) => void;
}

/** The classifier compiled into a model, if it has one. */
export interface ModelClassifier {
  labels: string[];
  multiLabel: boolean;
}

/** Labels and problem type of the model's own classifier head, or undefined without `classifier_logits`. */
export async function modelClassifier(model: BertModel): Promise<ModelClassifier | undefined> {
  if (!model.hasOutput('classifier_logits')) return undefined;
  // BertConfig does not keep problem_type, so read it from config.json.
  let problemType: unknown;
  try {
    problemType = (JSON.parse(await readFile(model.folder.configPath, 'utf8')) as { problem_type?: unknown }).problem_type;
  } catch {
    problemType = undefined;
  }
  const labels = model.folder.config.id2label;
  return { labels: labels ? [...labels] : [], multiLabel: problemType === 'multi_label_classification' };
}

/** Classifies every text; throws (naming the input) on the first empty text. */
export async function classify(
  model: BertModel,
  texts: readonly string[],
  head: ClassifierHead,
  options: ClassifyOptions = {},
): Promise<ClassifyResult[]> {
  const outcomes = await classifySettled(model, texts, head, options);
  return outcomes.map((outcome, i) => {
    if (!outcome.ok) throw texts.length > 1 ? new Error(`Input ${i + 1}: ${outcome.error.message}`) : outcome.error;
    return outcome.result;
  });
}

export type ClassifyOutcome = { ok: true; result: ClassifyResult } | { ok: false; error: Error };

/**
 * Like `classify`, but an empty text gives `{ ok: false, error }` in its place instead of
 * failing the rest (for JSONL input). A head that does not fit the model still throws.
 */
export async function classifySettled(
  model: BertModel,
  texts: readonly string[],
  head: ClassifierHead,
  options: ClassifyOptions = {},
): Promise<ClassifyOutcome[]> {
  const outcomes: ClassifyOutcome[] = new Array(texts.length);
  const valid: number[] = [];
  texts.forEach((text, i) => {
    if (text.trim() === '') outcomes[i] = { ok: false, error: new Error('The text is empty') };
    else valid.push(i);
  });
  const validTexts = valid.map((i) => texts[i]);
  const results =
    head === 'model' ? await classifyWithModelHead(model, validTexts, options) : await classifyWithLinearHead(model, validTexts, head, options);
  valid.forEach((textIndex, j) => (outcomes[textIndex] = { ok: true, result: results[j] }));
  return outcomes;
}

async function classifyWithLinearHead(model: BertModel, texts: string[], head: LinearHead, options: ClassifyOptions): Promise<ClassifyResult[]> {
  const warning = checkHeadModel(head, await modelIdentity(model.folder, model.folder.dir));
  if (warning) options.onWarning?.(warning);
  if (texts.length === 0) return [];
  const started = performance.now();
  const { features, truncated } = await extractFeatures(model, texts, {
    pooling: head.pooling,
    batchSize: options.batchSize,
    onProgress: options.onProgress,
    signal: options.signal,
  });
  const latencyMs = performance.now() - started;
  return features.map((vector, i) => ({
    labels: sortedScores(head.labels, applyLinearHead(head, vector)),
    truncated: truncated[i],
    latencyMs,
  }));
}

async function classifyWithModelHead(model: BertModel, texts: string[], options: ClassifyOptions): Promise<ClassifyResult[]> {
  const classifier = await modelClassifier(model);
  if (!classifier) {
    throw new Error(
      `The model in ${model.folder.dir} has no classifier head (it is not compiled from a BertForSequenceClassification checkpoint); use a linear head instead`,
    );
  }
  if (texts.length === 0) return [];
  const batchSize = options.batchSize ?? 16;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const started = performance.now();
  const encoded = await model.tokenizer.encodeBatch(texts);
  const order = texts.map((_, i) => i).sort((a, b) => encoded[a].ids.length - encoded[b].ids.length);
  const results: ClassifyResult[] = new Array(texts.length);
  let done = 0;
  for (let first = 0; first < order.length; first += batchSize) {
    options.signal?.throwIfAborted();
    const chunk = order.slice(first, first + batchSize);
    const { outputs } = await model.run(
      chunk.map((i) => encoded[i]),
      { outputs: ['classifier_logits'] },
    );
    const logits = outputs.classifier_logits;
    const width = logits.dims[1];
    const labels = classifier.labels.length === width ? classifier.labels : Array.from({ length: width }, (_, k) => `LABEL_${k}`);
    chunk.forEach((textIndex, b) => {
      const row = Array.from(logits.data.subarray(b * width, (b + 1) * width));
      const scores = classifier.multiLabel ? row.map((z) => 1 / (1 + Math.exp(-z))) : softmax(row);
      results[textIndex] = { labels: sortedScores(labels, scores), truncated: encoded[textIndex].truncated, latencyMs: 0 };
    });
    done += chunk.length;
    options.onProgress?.({ done, total: texts.length });
  }
  const latencyMs = performance.now() - started;
  for (const result of results) result.latencyMs = latencyMs;
  return results;
}

function sortedScores(labels: readonly string[], scores: readonly number[]): LabelScore[] {
  return labels.map((label, k) => ({ label, score: scores[k] })).sort((a, b) => b.score - a.score);
}
