/**
 * Training linear heads on synthetic features: the softmax loss gradient against finite
 * differences, L-BFGS on a known minimum and on separable data, stratified folds, metrics on a
 * hand-computed confusion matrix, standardisation, L2 shrinkage and cancellation.
 */
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { minimizeLbfgs, minimizeLbfgsAsync } from '../../src/engine/lbfgs';
import {
  fitNormalization,
  fitSoftmax,
  normalizeMatrix,
  predictClasses,
  seededRandom,
  softmaxLoss,
  toFeatureMatrix,
  type FeatureMatrix,
} from '../../src/engine/softmax-regression';
import { classificationMetrics, stratifiedFolds, trainSoftmaxHead } from '../../src/engine/train-head';

/** Gaussian blobs: class k centred at `separation`·e_k (plus noise of sd 1) in D dimensions. */
function blobs(perClass: number, classes: number, columns: number, separation: number, seed: number) {
  const random = seededRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let k = 0; k < classes; k++) {
    for (let i = 0; i < perClass; i++) {
      rows.push(Array.from({ length: columns }, (_, c) => (c === k ? separation : 0) + gaussian() + 5 * c));
      labels.push(k);
    }
  }
  return { matrix: toFeatureMatrix(rows), labels };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

describe('softmax regression loss', () => {
  test('the gradient matches central finite differences', () => {
    const { matrix, labels } = blobs(7, 3, 5, 1, 3);
    const classes = 3;
    const random = seededRandom(11);
    const params = Float64Array.from({ length: classes * matrix.columns + classes }, () => random() - 0.5);
    const gradient = new Float64Array(params.length);
    const rows = range(matrix.rows);
    softmaxLoss(params, gradient, matrix, labels, rows, classes, 0.3);
    const scratch = new Float64Array(params.length);
    const h = 1e-6;
    for (let i = 0; i < params.length; i++) {
      const plus = Float64Array.from(params);
      const minus = Float64Array.from(params);
      plus[i] += h;
      minus[i] -= h;
      const numeric = (softmaxLoss(plus, scratch, matrix, labels, rows, classes, 0.3) - softmaxLoss(minus, scratch, matrix, labels, rows, classes, 0.3)) / (2 * h);
      assert.ok(Math.abs(numeric - gradient[i]) < 1e-6 * Math.max(1, Math.abs(numeric)), `parameter ${i}: analytic ${gradient[i]}, numeric ${numeric}`);
    }
  });

  test('at zero weights the loss is log K plus nothing from the penalty', () => {
    const { matrix, labels } = blobs(5, 4, 6, 2, 1);
    const params = new Float64Array(4 * 6 + 4);
    const loss = softmaxLoss(params, new Float64Array(params.length), matrix, labels, range(matrix.rows), 4, 10);
    assert.ok(Math.abs(loss - Math.log(4)) < 1e-12, `loss ${loss}`);
  });
});

describe('L-BFGS', () => {
  test('finds the minimum of the Rosenbrock function', () => {
    const result = minimizeLbfgs(
      (x, g) => {
        const [a, b] = [x[0], x[1]];
        g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
        g[1] = 200 * (b - a * a);
        return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
      },
      Float64Array.from([-1.2, 1]),
      { maxIterations: 500, gradientTolerance: 1e-8, functionTolerance: 0 },
    );
    assert.ok(result.converged, `stopped: ${result.reason}`);
    assert.ok(Math.abs(result.x[0] - 1) < 1e-5 && Math.abs(result.x[1] - 1) < 1e-5, `x = ${Array.from(result.x)}`);
  });

  test('reaches 100% on separable data, and the fitted gradient is ~0', () => {
    const { matrix, labels } = blobs(40, 3, 8, 6, 5);
    const normalized = normalizeMatrix(matrix, fitNormalization(matrix));
    const rows = range(matrix.rows);
    const fit = fitSoftmax(normalized, labels, rows, 3, { l2: 1e-4 });
    const predictions = predictClasses(fit, normalized, rows);
    assert.deepEqual(predictions, labels);
    const gradient = new Float64Array(fit.weights.length + fit.bias.length);
    softmaxLoss(Float64Array.from([...fit.weights, ...fit.bias]), gradient, normalized, labels, rows, 3, 1e-4);
    assert.ok(Math.max(...gradient.map(Math.abs)) < 1e-4, `max |gradient| ${Math.max(...gradient.map(Math.abs))}`);
  });

  test('a stronger L2 penalty gives smaller weights', () => {
    const { matrix, labels } = blobs(30, 2, 5, 3, 8);
    const normalized = normalizeMatrix(matrix, fitNormalization(matrix));
    const norm = (l2: number) => fitSoftmax(normalized, labels, range(matrix.rows), 2, { l2 }).weights.reduce((s: number, w: number) => s + w * w, 0);
    assert.ok(norm(1) < norm(0.01) / 4, `‖W‖² at l2=1: ${norm(1)}, at 0.01: ${norm(0.01)}`);
  });
});

describe('stratified folds', () => {
  const labels = [...Array(23).fill(0), ...Array(10).fill(1), ...Array(7).fill(2)];

  test('each example lands in exactly one fold, classes spread evenly, sizes within one', () => {
    const folds = 5;
    const foldOf = stratifiedFolds(labels, folds, 7);
    assert.equal(foldOf.length, labels.length);
    const sizes = new Array(folds).fill(0);
    for (let k = 0; k < 3; k++) {
      const count = labels.filter((l) => l === k).length;
      const perFold = new Array(folds).fill(0);
      labels.forEach((label, i) => {
        if (label === k) perFold[foldOf[i]]++;
      });
      for (const n of perFold) assert.ok(n === Math.floor(count / folds) || n === Math.ceil(count / folds), `class ${k}: ${perFold}`);
    }
    foldOf.forEach((f) => {
      assert.ok(f >= 0 && f < folds);
      sizes[f]++;
    });
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `fold sizes ${sizes}`);
  });

  test('the same seed gives the same folds, another seed other folds', () => {
    assert.deepEqual(stratifiedFolds(labels, 4, 1), stratifiedFolds(labels, 4, 1));
    assert.notDeepEqual(stratifiedFolds(labels, 4, 1), stratifiedFolds(labels, 4, 2));
  });

  test('fewer than two folds is refused', () => {
    assert.throws(() => stratifiedFolds(labels, 1), /folds must be an integer ≥ 2/);
  });
});

describe('classification metrics', () => {
  test('match a hand-computed confusion matrix', () => {
    const truth = [0, 0, 0, 1, 1, 2];
    const predicted = [0, 1, 0, 1, 2, 2];
    const m = classificationMetrics(truth, predicted, ['a', 'b', 'c']);
    assert.deepEqual(m.confusion, [
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    assert.equal(m.accuracy, 4 / 6);
    const expected = [
      { label: 'a', precision: 1, recall: 2 / 3, f1: 0.8, support: 3 },
      { label: 'b', precision: 0.5, recall: 0.5, f1: 0.5, support: 2 },
      { label: 'c', precision: 0.5, recall: 1, f1: 2 / 3, support: 1 },
    ];
    m.perClass.forEach((c, k) => {
      assert.equal(c.label, expected[k].label);
      assert.equal(c.support, expected[k].support);
      for (const key of ['precision', 'recall', 'f1'] as const) assert.ok(Math.abs(c[key] - expected[k][key]) < 1e-12, `${c.label} ${key}`);
    });
    assert.ok(Math.abs(m.macroF1 - (0.8 + 0.5 + 2 / 3) / 3) < 1e-12);
  });

  test('a class never predicted has precision and F1 0', () => {
    const m = classificationMetrics([0, 1, 1], [0, 0, 0], ['x', 'y']);
    assert.equal(m.perClass[1].precision, 0);
    assert.equal(m.perClass[1].recall, 0);
    assert.equal(m.perClass[1].f1, 0);
    assert.equal(m.perClass[0].precision, 1 / 3);
  });
});

describe('trainSoftmaxHead', () => {
  test('cross-validates near 100% on separable data and reports every fold', async () => {
    const { matrix, labels } = blobs(30, 3, 10, 5, 21);
    const steps: string[] = [];
    const trained = await trainSoftmaxHead(matrix, labels, ['a', 'b', 'c'], {
      folds: 10,
      seed: 3,
      onProgress: ({ phase, step, steps: total }) => steps.push(`${phase} ${step}/${total}`),
    });
    const cv = trained.crossValidation!;
    assert.ok(cv.metrics.accuracy >= 0.98, `CV accuracy ${cv.metrics.accuracy}`);
    assert.equal(cv.foldAccuracies.length, 10);
    assert.equal(cv.metrics.confusion.flat().reduce((a, b) => a + b, 0), 90, 'every example predicted once');
    assert.equal(trained.final.trainingAccuracy, 1);
    assert.equal(steps.length, 11);
    assert.equal(steps.at(-1), 'final 11/11');
    assert.equal(trained.weights.length, 3);
    assert.equal(trained.weights[0].length, 10);
  });

  test('chance-level on random labels (cross-validation does not leak)', async () => {
    const random = seededRandom(99);
    const rows = Array.from({ length: 200 }, () => Array.from({ length: 20 }, () => random()));
    const labels = rows.map(() => (random() < 0.5 ? 0 : 1));
    const trained = await trainSoftmaxHead(toFeatureMatrix(rows), labels, ['a', 'b'], { folds: 5, l2: 1e-4 });
    assert.ok(trained.crossValidation!.metrics.accuracy < 0.65, `CV accuracy ${trained.crossValidation!.metrics.accuracy}`);
    assert.ok(trained.final.trainingAccuracy > trained.crossValidation!.metrics.accuracy, 'training accuracy is optimistic');
  });

  test('folds 0 skips cross-validation', async () => {
    const { matrix, labels } = blobs(5, 2, 3, 4, 2);
    assert.equal((await trainSoftmaxHead(matrix, labels, ['a', 'b'], { folds: 0 })).crossValidation, undefined);
  });

  test('standardisation: a constant column gets std 1, others mean 0 and sd 1', () => {
    const matrix: FeatureMatrix = toFeatureMatrix([
      [1, 10],
      [3, 10],
      [5, 10],
    ]);
    const n = fitNormalization(matrix);
    assert.deepEqual(n.mean, [3, 10]);
    assert.ok(Math.abs(n.std[0] - Math.sqrt(8 / 3)) < 1e-12);
    assert.equal(n.std[1], 1);
  });

  test('an abort during a fit stops it between L-BFGS iterations', async () => {
    const { matrix, labels } = blobs(200, 3, 40, 1, 2);
    const controller = new AbortController();
    let fits = 0;
    const training = trainSoftmaxHead(matrix, labels, ['a', 'b', 'c'], {
      folds: 5,
      l2: 1e-6,
      signal: controller.signal,
      onProgress: () => fits++,
    });
    setImmediate(() => controller.abort());
    await assert.rejects(training, { name: 'AbortError' });
    assert.equal(fits, 1, 'stopped inside the first fit');
  });

  test('minimizeLbfgsAsync gives the same answer as minimizeLbfgs', async () => {
    const fg = (x: Float64Array, g: Float64Array) => {
      let f = 0;
      for (let i = 0; i < x.length; i++) {
        f += (i + 1) * (x[i] - i) ** 2;
        g[i] = 2 * (i + 1) * (x[i] - i);
      }
      return f;
    };
    const sync = minimizeLbfgs(fg, new Float64Array(6));
    const async = await minimizeLbfgsAsync(fg, new Float64Array(6));
    assert.deepEqual(Array.from(async.x), Array.from(sync.x));
    Array.from(sync.x).forEach((v, i) => assert.ok(Math.abs(v - i) < 1e-6));
  });
});
