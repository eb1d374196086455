/**
 * Training linear heads ("BERT linear": the encoder frozen, a linear layer + softmax on its
 * features): seeded stratified k-fold cross-validation with accuracy, per-class precision /
 * recall / F1 and a confusion matrix, then a final fit on all the data (softmax-regression.ts
 * does the fitting), and `trainLinearHead`, the whole path from a labelled file's examples to a
 * head ready to save: features in batches, cross-validation, final fit, model fingerprint.
 * Fits yield to the event loop between L-BFGS iterations, so an AbortSignal stops them.
 *
 * Example:
 *   const data = await readLabelledData('reviews.csv');
 *   const { head, report } = await trainLinearHead(model, data, { name: 'sentiment', modelName: 'bert-lens-mini' });
 *   await writeLinearHead('.bert-lens/heads/sentiment.json', head);
 */
import { DEFAULT_POOLING, extractFeatures, type Pooling } from './features';
import type { LabelledData } from './labelled-data';
import { foldsForData } from './labelled-data';
import { headModelIdentity, LINEAR_HEAD_FORMAT, LINEAR_HEAD_VERSION, modelIdentity, type LinearHead } from './linear-head';
import type { BertModel } from './session';
import {
  DEFAULT_L2,
  fitNormalization,
  fitSoftmaxAsync,
  normalizeMatrix,
  predictClasses,
  seededRandom,
  toFeatureMatrix,
  type FeatureMatrix,
  type FitOptions,
  type Normalization,
} from './softmax-regression';

export const DEFAULT_FOLDS = 10;
export const DEFAULT_SEED = 42;

/**
 * The fold (0..folds−1) of each example: each class is shuffled with the seed and dealt round
 * the folds, continuing where the previous class stopped, so every fold holds ⌊n_c/k⌋ or
 * ⌈n_c/k⌉ examples of class c and fold sizes differ by at most one.
 */
export function stratifiedFolds(labels: ArrayLike<number>, folds: number, seed = DEFAULT_SEED): Int32Array {
  if (!Number.isInteger(folds) || folds < 2) throw new Error(`folds must be an integer ≥ 2, got ${folds}`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const members = byClass.get(labels[i]) ?? [];
    members.push(i);
    byClass.set(labels[i], members);
  }
  const random = seededRandom(seed);
  const foldOf = new Int32Array(labels.length);
  let next = 0;
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = byClass.get(label)!;
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [members[i], members[j]] = [members[j], members[i]];
    }
    for (const index of members) {
      foldOf[index] = next;
      next = (next + 1) % folds;
    }
  }
  return foldOf;
}

export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** True examples of the class. */
  support: number;
}

export interface ClassificationMetrics {
  accuracy: number;
  /** Unweighted mean of the per-class F1. */
  macroF1: number;
  perClass: ClassMetrics[];
  /** confusion[true][predicted], classes in `labels` order. */
  confusion: number[][];
}

/** Metrics of predictions against the truth; precision (recall) is 0 for a class never predicted (present). */
export function classificationMetrics(truth: ArrayLike<number>, predicted: ArrayLike<number>, labels: readonly string[]): ClassificationMetrics {
  if (truth.length !== predicted.length) throw new Error(`${truth.length} true labels but ${predicted.length} predictions`);
  const classes = labels.length;
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    confusion[truth[i]][predicted[i]]++;
    if (truth[i] === predicted[i]) correct++;
  }
  const perClass = labels.map((label, k) => {
    const truePositives = confusion[k][k];
    const support = confusion[k].reduce((a, b) => a + b, 0);
    const predictedAsK = confusion.reduce((sum, row) => sum + row[k], 0);
    const precision = predictedAsK === 0 ? 0 : truePositives / predictedAsK;
    const recall = support === 0 ? 0 : truePositives / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, precision, recall, f1, support };
  });
  return {
    accuracy: truth.length === 0 ? 0 : correct / truth.length,
    macroF1: perClass.reduce((sum, c) => sum + c.f1, 0) / classes,
    perClass,
    confusion,
  };
}

export interface CrossValidationReport {
  folds: number;
  seed: number;
  /** Metrics of the pooled out-of-fold predictions (every example predicted once). */
  metrics: ClassificationMetrics;
  /** Accuracy of each fold's held-out part. */
  foldAccuracies: number[];
}

export type TrainingPhase = 'cross-validation' | 'final';

export interface TrainHeadOptions extends FitOptions {
  /** Cross-validation folds (default 10); 0 skips cross-validation. */
  folds?: number;
  seed?: number;
  /** Called before each fit: fold 1..folds of the cross-validation, then the final fit. */
  onProgress?: (progress: { phase: TrainingPhase; step: number; steps: number }) => void;
}

export interface TrainedSoftmaxHead {
  normalization: Normalization;
  /** K × D rows applied to standardised features. */
  weights: number[][];
  bias: number[];
  crossValidation?: CrossValidationReport;
  final: { loss: number; iterations: number; converged: boolean; trainingAccuracy: number };
}

/**
 * Cross-validates (standardisation fitted on each training part only, so held-out rows never
 * leak into it), then fits normalisation and weights on all the data.
 */
export async function trainSoftmaxHead(
  features: FeatureMatrix,
  labelIndices: ArrayLike<number>,
  labels: readonly string[],
  options: TrainHeadOptions = {},
): Promise<TrainedSoftmaxHead> {
  const classes = labels.length;
  if (classes < 2) throw new Error('A classifier needs at least two labels');
  if (labelIndices.length !== features.rows) throw new Error(`${features.rows} feature vectors but ${labelIndices.length} labels`);
  for (let i = 0; i < labelIndices.length; i++) {
    const label = labelIndices[i];
    if (!Number.isInteger(label) || label < 0 || label >= classes) throw new Error(`Label index ${label} of example ${i} is not in 0..${classes - 1}`);
  }
  const folds = options.folds ?? DEFAULT_FOLDS;
  const seed = options.seed ?? DEFAULT_SEED;
  const steps = (folds >= 2 ? folds : 0) + 1;

  let crossValidation: CrossValidationReport | undefined;
  if (folds >= 2) {
    const foldOf = stratifiedFolds(labelIndices, folds, seed);
    const outOfFold = new Int32Array(features.rows);
    const foldAccuracies: number[] = [];
    for (let fold = 0; fold < folds; fold++) {
      options.onProgress?.({ phase: 'cross-validation', step: fold + 1, steps });
      const train: number[] = [];
      const test: number[] = [];
      for (let i = 0; i < features.rows; i++) (foldOf[i] === fold ? test : train).push(i);
      const normalized = normalizeMatrix(features, fitNormalization(features, train));
      const fit = await fitSoftmaxAsync(normalized, labelIndices, train, classes, options);
      const predictions = predictClasses(fit, normalized, test);
      let correct = 0;
      test.forEach((row, j) => {
        outOfFold[row] = predictions[j];
        if (predictions[j] === labelIndices[row]) correct++;
      });
      foldAccuracies.push(test.length === 0 ? 0 : correct / test.length);
    }
    crossValidation = { folds, seed, metrics: classificationMetrics(labelIndices, outOfFold, labels), foldAccuracies };
  }

  options.onProgress?.({ phase: 'final', step: steps, steps });
  const all = Array.from({ length: features.rows }, (_, i) => i);
  const normalization = fitNormalization(features);
  const normalized = normalizeMatrix(features, normalization);
  const fit = await fitSoftmaxAsync(normalized, labelIndices, all, classes, options);
  const predictions = predictClasses(fit, normalized, all);
  const trainingAccuracy = predictions.filter((p, i) => p === labelIndices[i]).length / all.length;
  const columns = features.columns;
  return {
    normalization,
    weights: labels.map((_, k) => Array.from(fit.weights.subarray(k * columns, (k + 1) * columns))),
    bias: Array.from(fit.bias),
    crossValidation,
    final: { loss: fit.loss, iterations: fit.iterations, converged: fit.converged, trainingAccuracy },
  };
}

export type TrainLinearHeadPhase = 'features' | TrainingPhase;

export interface TrainLinearHeadOptions extends FitOptions {
  /** The head's name (file name and display). */
  name: string;
  /** How the user names the model (recorded in the head, the default model for classify). */
  modelName: string;
  pooling?: Pooling;
  /** Requested folds (default 10; lowered to the smallest class, see `foldsForData`); 0 skips. */
  folds?: number;
  seed?: number;
  /** Recorded in the head's training metadata. */
  dataFile?: string;
  /** Features: done / total texts; fits: step / steps. */
  onProgress?: (progress: { phase: TrainLinearHeadPhase; done: number; total: number }) => void;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
  /** Texts per model run for features (default 16). */
  batchSize?: number;
}

export interface TrainLinearHeadReport {
  examples: number;
  labels: string[];
  counts: number[];
  pooling: Pooling;
  crossValidation: CrossValidationReport | null;
  /** Accuracy of the final fit on its own training data (optimistic). */
  trainingAccuracy: number;
  truncatedTexts: number;
  timings: { featuresMs: number; trainingMs: number };
}

/** Features → cross-validation → final fit → a head (not yet saved) and its report. */
export async function trainLinearHead(
  model: BertModel,
  data: Pick<LabelledData, 'examples' | 'labels' | 'counts'>,
  options: TrainLinearHeadOptions,
): Promise<{ head: LinearHead; report: TrainLinearHeadReport }> {
  const pooling = options.pooling ?? DEFAULT_POOLING;
  const l2 = options.l2 ?? DEFAULT_L2;
  const seed = options.seed ?? DEFAULT_SEED;
  const foldChoice = foldsForData(data, options.folds ?? DEFAULT_FOLDS);
  if (foldChoice.warning) options.onWarning?.(foldChoice.warning);

  const featuresStarted = performance.now();
  const extracted = await extractFeatures(
    model,
    data.examples.map((e) => e.text),
    {
      pooling,
      batchSize: options.batchSize,
      signal: options.signal,
      onProgress: ({ done, total }) => options.onProgress?.({ phase: 'features', done, total }),
    },
  );
  const featuresMs = performance.now() - featuresStarted;
  const truncatedTexts = extracted.truncated.filter(Boolean).length;
  if (truncatedTexts > 0) {
    options.onWarning?.(`${truncatedTexts} texts were longer than the model reads (${model.tokenizer.maxLength} tokens) and were cut`);
  }

  const labelIndex = new Map(data.labels.map((label, i) => [label, i]));
  const trainingStarted = performance.now();
  const trained = await trainSoftmaxHead(
    toFeatureMatrix(extracted.features),
    data.examples.map((e) => labelIndex.get(e.label)!),
    data.labels,
    {
      folds: foldChoice.folds,
      seed,
      l2,
      maxIterations: options.maxIterations,
      signal: options.signal,
      onProgress: ({ phase, step, steps }) => options.onProgress?.({ phase, done: step, total: steps }),
    },
  );
  const trainingMs = performance.now() - trainingStarted;

  const head: LinearHead = {
    format: LINEAR_HEAD_FORMAT,
    version: LINEAR_HEAD_VERSION,
    name: options.name,
    labels: [...data.labels],
    pooling,
    normalization: trained.normalization,
    weights: trained.weights,
    bias: trained.bias,
    model: headModelIdentity(await modelIdentity(model.folder, options.modelName), pooling),
    training: {
      examples: data.examples.length,
      date: new Date().toISOString(),
      l2,
      iterations: trained.final.iterations,
      ...(options.dataFile === undefined ? {} : { dataFile: options.dataFile }),
      crossValidation: trained.crossValidation ?? null,
    },
  };
  return {
    head,
    report: {
      examples: data.examples.length,
      labels: [...data.labels],
      counts: [...data.counts],
      pooling,
      crossValidation: trained.crossValidation ?? null,
      trainingAccuracy: trained.final.trainingAccuracy,
      truncatedTexts,
      timings: { featuresMs, trainingMs },
    },
  };
}
