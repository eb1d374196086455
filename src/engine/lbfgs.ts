/**
 * L-BFGS: unconstrained minimisation of a smooth function from its value and gradient
 * (Nocedal & Wright, "Numerical Optimization", algorithm 7.4 two-loop recursion, with a
 * backtracking Armijo line search). Used to fit linear heads (train-head.ts), whose loss is
 * convex, so the plain Armijo search plus skipping pairs without positive curvature is enough.
 *
 * Written here rather than taken from npm: no L-BFGS package appears in the npm registry listing
 * this project works from, and the logistic-regression packages there (ml-logistic-regression)
 * fit one-vs-rest models by fixed-step gradient descent, which needs a tuned learning rate and
 * many more passes over the data than L-BFGS on a softmax loss.
 *
 * Example:
 *   const { x } = minimizeLbfgs((x, grad) => { grad[0] = 2 * (x[0] - 3); return (x[0] - 3) ** 2; }, new Float64Array(1));
 *   // x[0] ≈ 3
 */

/** Returns f(x) and writes ∇f(x) into `gradient`. */
export type ValueAndGradient = (x: Float64Array, gradient: Float64Array) => number;

export interface LbfgsOptions {
  /** Iterations (line searches), default 200. */
  maxIterations?: number;
  /** Correction pairs kept, default 10. */
  memory?: number;
  /** Stop when max |∇f| ≤ this, default 1e-6. */
  gradientTolerance?: number;
  /** Stop when an iteration lowers f by less than this × max(1, |f|), default 1e-10. */
  functionTolerance?: number;
  /** Checked once per iteration; aborting rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  /** Function + gradient evaluations. */
  evaluations: number;
  converged: boolean;
  /** Why it stopped. */
  reason: 'gradient' | 'function' | 'max-iterations' | 'line-search';
}

/** Minimises `fg` from `x0`, synchronously. */
export function minimizeLbfgs(fg: ValueAndGradient, x0: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const steps = lbfgsIterations(fg, x0, options);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/**
 * `minimizeLbfgs` that lets the event loop run between iterations, so that an abort (or other
 * work of a server) is seen while a long fit runs.
 */
export async function minimizeLbfgsAsync(fg: ValueAndGradient, x0: Float64Array, options: LbfgsOptions = {}): Promise<LbfgsResult> {
  const steps = lbfgsIterations(fg, x0, options);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** The algorithm, one iteration per `next()`; the return value is the result. */
function* lbfgsIterations(fg: ValueAndGradient, x0: Float64Array, options: LbfgsOptions): Generator<void, LbfgsResult, void> {
  const maxIterations = options.maxIterations ?? 200;
  const memory = options.memory ?? 10;
  const gradientTolerance = options.gradientTolerance ?? 1e-6;
  const functionTolerance = options.functionTolerance ?? 1e-10;
  const n = x0.length;

  let x = Float64Array.from(x0);
  let gradient = new Float64Array(n);
  let value = fg(x, gradient);
  let evaluations = 1;
  if (!Number.isFinite(value)) throw new Error(`L-BFGS: the objective is not finite at the start (${value})`);

  const sHistory: Float64Array[] = [];
  const yHistory: Float64Array[] = [];
  const rhoHistory: number[] = [];
  const alpha = new Float64Array(memory);
  const direction = new Float64Array(n);
  let nextX = new Float64Array(n);
  let nextGradient = new Float64Array(n);

  if (maxAbs(gradient) <= gradientTolerance) {
    return { x, value, iterations: 0, evaluations, converged: true, reason: 'gradient' };
  }
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    if (iteration > 1) yield;
    options.signal?.throwIfAborted();
    // Two-loop recursion: direction = −H·∇f with H the L-BFGS inverse-Hessian estimate.
    direction.set(gradient);
    for (let i = sHistory.length - 1; i >= 0; i--) {
      alpha[i] = rhoHistory[i] * dot(sHistory[i], direction);
      axpy(-alpha[i], yHistory[i], direction);
    }
    if (sHistory.length > 0) {
      const last = sHistory.length - 1;
      scale(direction, dot(sHistory[last], yHistory[last]) / dot(yHistory[last], yHistory[last]));
    }
    for (let i = 0; i < sHistory.length; i++) {
      const beta = rhoHistory[i] * dot(yHistory[i], direction);
      axpy(alpha[i] - beta, sHistory[i], direction);
    }
    scale(direction, -1);
    let slope = dot(direction, gradient);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      sHistory.length = yHistory.length = rhoHistory.length = 0;
      direction.set(gradient);
      scale(direction, -1);
      slope = dot(direction, gradient);
    }

    // Backtracking line search with the Armijo condition; the first step is scaled to length ≤ 1.
    let step = sHistory.length === 0 ? Math.min(1, 1 / Math.sqrt(dot(direction, direction))) : 1;
    let nextValue = Infinity;
    let accepted = false;
    for (let tries = 0; tries < 50; tries++) {
      for (let i = 0; i < n; i++) nextX[i] = x[i] + step * direction[i];
      nextValue = fg(nextX, nextGradient);
      evaluations++;
      if (Number.isFinite(nextValue) && nextValue <= value + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) return { x, value, iterations: iteration, evaluations, converged: false, reason: 'line-search' };

    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = nextX[i] - x[i];
      y[i] = nextGradient[i] - gradient[i];
    }
    const curvature = dot(s, y);
    if (curvature > 1e-12 * dot(y, y)) {
      if (sHistory.length === memory) {
        sHistory.shift();
        yHistory.shift();
        rhoHistory.shift();
      }
      sHistory.push(s);
      yHistory.push(y);
      rhoHistory.push(1 / curvature);
    }
    const decrease = value - nextValue;
    [x, nextX] = [nextX, x];
    [gradient, nextGradient] = [nextGradient, gradient];
    value = nextValue;
    if (maxAbs(gradient) <= gradientTolerance) {
      return { x, value, iterations: iteration, evaluations, converged: true, reason: 'gradient' };
    }
    if (decrease <= functionTolerance * Math.max(1, Math.abs(value))) {
      return { x, value, iterations: iteration, evaluations, converged: true, reason: 'function' };
    }
  }
  return { x, value, iterations: maxIterations, evaluations, converged: false, reason: 'max-iterations' };
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

/** y += a·x */
function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] += a * x[i];
}

function scale(x: Float64Array, a: number): void {
  for (let i = 0; i < x.length; i++) x[i] *= a;
}

function maxAbs(x: Float64Array): number {
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]));
  return max;
}
