/**
 * Multinomial logistic (softmax) regression with an L2 penalty, the model of a linear head:
 * feature standardisation, the loss and its gradient, fitting by L-BFGS and prediction.
 *
 * Loss, for N examples, K labels, standardised features x and weights W (K × D), bias b:
 *   L = (1/N) Σ_i [logsumexp(W·x_i + b) − (W·x_i + b)_{y_i}] + (l2/2)·‖W‖²   (bias not penalised)
 *
 * Example:
 *   const x = normalizeMatrix(matrix, fitNormalization(matrix));
 *   const fit = fitSoftmax(x, labels, allRows, 2, { l2: 1e-3 }); // fit.weights: K × D, fit.bias: K
 */
import { minimizeLbfgs, minimizeLbfgsAsync, type LbfgsOptions, type LbfgsResult } from './lbfgs';

export const DEFAULT_L2 = 1e-3;
export const DEFAULT_MAX_ITERATIONS = 300;

/** N feature vectors of D floats, stored row-major. */
export interface FeatureMatrix {
  data: Float32Array;
  rows: number;
  columns: number;
}

export function toFeatureMatrix(rows: readonly ArrayLike<number>[]): FeatureMatrix {
  if (rows.length === 0) throw new Error('No feature vectors');
  const columns = rows[0].length;
  const data = new Float32Array(rows.length * columns);
  rows.forEach((row, i) => {
    if (row.length !== columns) throw new Error(`Feature vector ${i} has ${row.length} values, the first has ${columns}`);
    data.set(row, i * columns);
  });
  return { data, rows: rows.length, columns };
}

export interface Normalization {
  mean: number[];
  /** Population standard deviation; 1 for a constant feature. */
  std: number[];
}

/** Mean and standard deviation of each column over the rows `indices` (default all). */
export function fitNormalization(matrix: FeatureMatrix, indices?: ArrayLike<number>): Normalization {
  const { data, columns } = matrix;
  const rows = indices ?? Array.from({ length: matrix.rows }, (_, i) => i);
  const mean = new Float64Array(columns);
  const squares = new Float64Array(columns);
  for (let r = 0; r < rows.length; r++) {
    const at = rows[r] * columns;
    for (let c = 0; c < columns; c++) mean[c] += data[at + c];
  }
  for (let c = 0; c < columns; c++) mean[c] /= rows.length;
  for (let r = 0; r < rows.length; r++) {
    const at = rows[r] * columns;
    for (let c = 0; c < columns; c++) squares[c] += (data[at + c] - mean[c]) ** 2;
  }
  const std = Array.from(squares, (s) => {
    const sd = Math.sqrt(s / rows.length);
    return sd > 1e-8 ? sd : 1;
  });
  return { mean: Array.from(mean), std };
}

/** A copy of the matrix with every column standardised: (x − mean) / std. */
export function normalizeMatrix(matrix: FeatureMatrix, normalization: Normalization): FeatureMatrix {
  const { data, rows, columns } = matrix;
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const at = r * columns;
    for (let c = 0; c < columns; c++) out[at + c] = (data[at + c] - normalization.mean[c]) / normalization.std[c];
  }
  return { data: out, rows, columns };
}

/**
 * The loss above and its gradient over the rows `indices`; `params` is W (K × D, row-major)
 * followed by b (K). Writes the gradient into `gradient` and returns the loss.
 */
export function softmaxLoss(
  params: Float64Array,
  gradient: Float64Array,
  matrix: FeatureMatrix,
  labels: ArrayLike<number>,
  indices: ArrayLike<number>,
  classes: number,
  l2: number,
): number {
  const { data, columns } = matrix;
  const biasAt = classes * columns;
  gradient.fill(0);
  const logits = new Float64Array(classes);
  let loss = 0;
  for (let r = 0; r < indices.length; r++) {
    const row = indices[r];
    const at = row * columns;
    let max = -Infinity;
    for (let k = 0; k < classes; k++) {
      let z = params[biasAt + k];
      const w = k * columns;
      for (let c = 0; c < columns; c++) z += params[w + c] * data[at + c];
      logits[k] = z;
      if (z > max) max = z;
    }
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp(logits[k] - max);
    const logSumExp = max + Math.log(sum);
    const label = labels[row];
    loss += logSumExp - logits[label];
    for (let k = 0; k < classes; k++) {
      const error = Math.exp(logits[k] - logSumExp) - (k === label ? 1 : 0);
      if (error === 0) continue;
      const w = k * columns;
      for (let c = 0; c < columns; c++) gradient[w + c] += error * data[at + c];
      gradient[biasAt + k] += error;
    }
  }
  const n = indices.length;
  let penalty = 0;
  for (let i = 0; i < gradient.length; i++) gradient[i] /= n;
  for (let i = 0; i < biasAt; i++) {
    penalty += params[i] * params[i];
    gradient[i] += l2 * params[i];
  }
  return loss / n + 0.5 * l2 * penalty;
}

export interface FitOptions {
  /** L2 penalty on the weights (per example, see the loss), default 1e-3. */
  l2?: number;
  maxIterations?: number;
  signal?: AbortSignal;
}

export interface SoftmaxFit {
  /** K × D, applied to standardised features. */
  weights: Float64Array;
  bias: Float64Array;
  loss: number;
  iterations: number;
  converged: boolean;
}

/** Fits W, b on the (already standardised) rows `indices` by L-BFGS. */
export function fitSoftmax(
  matrix: FeatureMatrix,
  labels: ArrayLike<number>,
  indices: ArrayLike<number>,
  classes: number,
  options: FitOptions = {},
): SoftmaxFit {
  const problem = softmaxProblem(matrix, labels, indices, classes, options);
  return problem.unpack(minimizeLbfgs(problem.objective, problem.start, problem.options));
}

/** `fitSoftmax` that yields to the event loop between iterations (servers, cancellation). */
export async function fitSoftmaxAsync(
  matrix: FeatureMatrix,
  labels: ArrayLike<number>,
  indices: ArrayLike<number>,
  classes: number,
  options: FitOptions = {},
): Promise<SoftmaxFit> {
  const problem = softmaxProblem(matrix, labels, indices, classes, options);
  return problem.unpack(await minimizeLbfgsAsync(problem.objective, problem.start, problem.options));
}

function softmaxProblem(matrix: FeatureMatrix, labels: ArrayLike<number>, indices: ArrayLike<number>, classes: number, options: FitOptions) {
  const l2 = options.l2 ?? DEFAULT_L2;
  if (!(l2 >= 0) || !Number.isFinite(l2)) throw new Error(`l2 must be a non-negative number, got ${l2}`);
  const weightCount = classes * matrix.columns;
  const lbfgsOptions: LbfgsOptions = {
    maxIterations: options.maxIterations ?? DEFAULT_MAX_ITERATIONS,
    gradientTolerance: 1e-6,
    functionTolerance: 1e-10,
    signal: options.signal,
  };
  return {
    objective: (params: Float64Array, gradient: Float64Array) => softmaxLoss(params, gradient, matrix, labels, indices, classes, l2),
    start: new Float64Array(weightCount + classes),
    options: lbfgsOptions,
    unpack: (result: LbfgsResult): SoftmaxFit => ({
      weights: result.x.slice(0, weightCount),
      bias: result.x.slice(weightCount),
      loss: result.value,
      iterations: result.iterations,
      converged: result.converged,
    }),
  };
}

/** The most probable class of each row `indices` under a fit (argmax of the logits). */
export function predictClasses(fit: Pick<SoftmaxFit, 'weights' | 'bias'>, matrix: FeatureMatrix, indices: ArrayLike<number>): number[] {
  const { data, columns } = matrix;
  const classes = fit.bias.length;
  return Array.from({ length: indices.length }, (_, r) => {
    const at = indices[r] * columns;
    let best = 0;
    let bestLogit = -Infinity;
    for (let k = 0; k < classes; k++) {
      let z = fit.bias[k];
      for (let c = 0; c < columns; c++) z += fit.weights[k * columns + c] * data[at + c];
      if (z > bestLogit) {
        bestLogit = z;
        best = k;
      }
    }
    return best;
  });
}

/** Deterministic 32-bit PRNG (mulberry32) returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
