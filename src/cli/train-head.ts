/**
 * `bert-lens train-head --data FILE --name NAME`: trains a linear head on the frozen encoder's
 * features from a labelled JSONL / CSV file, prints the cross-validation report and saves the
 * head as `.bert-lens/heads/NAME.json` in the working folder. Progress goes to stderr.
 */
import { stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { loadModel } from '../engine';
import { DEFAULT_POOLING, isPooling, POOLINGS } from '../engine/features';
import { readLabelledData, type LabelledDataFormat } from '../engine/labelled-data';
import { writeLinearHead } from '../engine/linear-head';
import { DEFAULT_L2 } from '../engine/softmax-regression';
import { DEFAULT_FOLDS, DEFAULT_SEED, trainLinearHead, type ClassificationMetrics } from '../engine/train-head';
import { DEFAULT_MODEL } from '../model/bundled';
import { formatPercent } from '../protocol/format';
import { type CommandContext, parseCommandArgs, resolveCliModel, UsageError } from './shared';

/** Where named heads live, relative to the working folder (the workspace in the extension). */
export const HEADS_FOLDER = join('.bert-lens', 'heads');
const HEAD_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_WARNINGS_SHOWN = 10;

export function headPath(cwd: string, name: string): string {
  return join(cwd, HEADS_FOLDER, `${name}.json`);
}

export async function runTrainHead(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCliArgs(args);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (values.data === undefined) throw new UsageError('missing --data FILE (JSONL lines {"text","label"} or CSV with a text,label header)');
  if (values.name === undefined) throw new UsageError('missing --name NAME (the head is saved as .bert-lens/heads/NAME.json)');
  const name = values.name;
  if (!HEAD_NAME.test(name) || name.endsWith('.json')) {
    throw new UsageError(`--name must be letters, digits, ".", "_" or "-" (at most 64, no ".json"), got "${name}"`);
  }
  if (name === 'model') throw new UsageError('--name "model" is reserved for the classifier compiled into a model');
  const folds = parseInteger(values.folds, '--folds', DEFAULT_FOLDS, 0);
  if (folds === 1) throw new UsageError('--folds must be 0 (no cross-validation) or at least 2');
  const seed = parseInteger(values.seed, '--seed', DEFAULT_SEED, 0);
  const l2 = values.l2 === undefined ? DEFAULT_L2 : Number(values.l2);
  if (!(l2 >= 0) || !Number.isFinite(l2)) throw new UsageError(`--l2 must be a non-negative number, got "${values.l2}"`);
  const pooling = values.pooling ?? DEFAULT_POOLING;
  if (!isPooling(pooling)) throw new UsageError(`--pooling must be ${POOLINGS.slice(0, -1).join(', ')} or ${POOLINGS.at(-1)}, got "${pooling}"`);
  const format = values.format;
  if (format !== undefined && format !== 'jsonl' && format !== 'csv') throw new UsageError(`--format must be jsonl or csv, got "${format}"`);

  const out = headPath(ctx.cwd, name);
  if (!values.force && (await stat(out).catch(() => undefined))) {
    throw new Error(`${out} exists; pass --force to overwrite it`);
  }
  const started = performance.now();
  const dataPath = resolve(ctx.cwd, values.data);
  const shownPath = relative(ctx.cwd, dataPath) || dataPath;
  const data = await readLabelledData(dataPath, format as LabelledDataFormat | undefined);
  const warn = (message: string) => ctx.stderr.write(`warning: ${message}\n`);
  data.warnings.slice(0, MAX_WARNINGS_SHOWN).forEach((w) => warn(`${shownPath}: ${w} (skipped)`));
  if (data.warnings.length > MAX_WARNINGS_SHOWN) warn(`… and ${data.warnings.length - MAX_WARNINGS_SHOWN} more broken lines skipped`);
  ctx.stderr.write(
    `${data.examples.length} examples, ${data.labels.length} labels (${data.labels.map((l, i) => `${l}: ${data.counts[i]}`).join(', ')})\n`,
  );

  const model = await loadModel(await resolveCliModel(values.model, ctx), { executionProvider: 'cpu' });
  const progress = progressWriter(ctx);
  const phaseNames = { features: `Extracting features (${pooling} pooling)`, 'cross-validation': 'Cross-validation fits', final: 'Final fit on all examples' };
  const { head, report } = await trainLinearHead(model, data, {
    name,
    modelName: values.model ?? DEFAULT_MODEL,
    pooling,
    folds,
    seed,
    l2,
    dataFile: shownPath,
    onProgress: ({ phase, done, total }) => progress(phaseNames[phase], done, total),
    onWarning: warn,
  });
  await writeLinearHead(out, head, { overwrite: values.force === true });
  const totalMs = performance.now() - started;

  const timings = { featuresMs: Math.round(report.timings.featuresMs), trainingMs: Math.round(report.timings.trainingMs), totalMs: Math.round(totalMs) };
  if (values.json) {
    ctx.stdout.write(
      `${JSON.stringify({
        head: out,
        examples: report.examples,
        skipped: data.warnings.length,
        labels: report.labels,
        pooling,
        crossValidation: report.crossValidation,
        trainingAccuracy: report.trainingAccuracy,
        timings,
      })}\n`,
    );
  } else {
    const lines: string[] = [];
    if (report.crossValidation) {
      const cv = report.crossValidation;
      lines.push(`Cross-validation (${cv.folds} stratified folds, seed ${cv.seed}) on ${report.examples} examples:`);
      lines.push(...formatMetrics(cv.metrics, cv.foldAccuracies));
    } else {
      lines.push('No cross-validation (see the warning above).');
    }
    lines.push(`Accuracy on the training data itself: ${formatPercent(report.trainingAccuracy)} (optimistic)`);
    lines.push(
      `Features ${(timings.featuresMs / 1000).toFixed(1)} s, training ${(timings.trainingMs / 1000).toFixed(1)} s, total ${(timings.totalMs / 1000).toFixed(1)} s`,
    );
    lines.push(`Saved ${relative(ctx.cwd, out)}; use it with: bert-lens classify --head ${name} TEXT`);
    ctx.stdout.write(`${lines.join('\n')}\n`);
  }
  return 0;
}

/** The report lines: accuracy, macro-F1, a per-class table and the confusion matrix. */
export function formatMetrics(metrics: ClassificationMetrics, foldAccuracies: readonly number[] = []): string[] {
  const lines: string[] = [];
  let accuracy = `  accuracy ${formatPercent(metrics.accuracy)}`;
  if (foldAccuracies.length > 1) {
    const mean = foldAccuracies.reduce((a, b) => a + b, 0) / foldAccuracies.length;
    const sd = Math.sqrt(foldAccuracies.reduce((sum, a) => sum + (a - mean) ** 2, 0) / (foldAccuracies.length - 1));
    accuracy += ` (per fold ${formatPercent(mean)} ± ${formatPercent(sd)})`;
  }
  lines.push(accuracy, `  macro-F1 ${metrics.macroF1.toFixed(3)}`);
  const width = Math.max(5, ...metrics.perClass.map((c) => c.label.length));
  lines.push(`  ${'label'.padEnd(width)}  precision  recall     F1  support`);
  for (const c of metrics.perClass) {
    lines.push(
      `  ${c.label.padEnd(width)}  ${c.precision.toFixed(3).padStart(9)}  ${c.recall.toFixed(3).padStart(6)}  ${c.f1.toFixed(3).padStart(5)}  ${String(c.support).padStart(7)}`,
    );
  }
  lines.push('  confusion matrix (rows: true label, columns: predicted):');
  const cell = Math.max(6, ...metrics.perClass.map((c) => c.label.length), ...metrics.confusion.flat().map((n) => String(n).length));
  lines.push(`  ${''.padEnd(width)}  ${metrics.perClass.map((c) => c.label.padStart(cell)).join(' ')}`);
  metrics.confusion.forEach((row, k) => {
    lines.push(`  ${metrics.perClass[k].label.padEnd(width)}  ${row.map((n) => String(n).padStart(cell)).join(' ')}`);
  });
  return lines;
}

/** Progress on stderr: one rewritten line on a terminal, else a line every 10%. */
function progressWriter(ctx: CommandContext): (what: string, done: number, total: number) => void {
  const tty = (ctx.stderr as NodeJS.WriteStream).isTTY === true;
  let lastWhat = '';
  let lastTenth = -1;
  return (what, done, total) => {
    const tenth = Math.floor((done / total) * 10);
    if (tty) {
      ctx.stderr.write(`\r${what}: ${done}/${total}\u001b[K${done === total ? '\n' : ''}`);
      return;
    }
    if (what !== lastWhat || tenth !== lastTenth) {
      ctx.stderr.write(`${what}: ${done}/${total}\n`);
      lastWhat = what;
      lastTenth = tenth;
    }
  };
}

function parseInteger(value: string | undefined, option: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${option} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

function parseCliArgs(args: string[]) {
  return parseCommandArgs(args, {
    data: { type: 'string' },
    name: { type: 'string' },
    model: { type: 'string' },
    folds: { type: 'string' },
    pooling: { type: 'string' },
    l2: { type: 'string' },
    seed: { type: 'string' },
    format: { type: 'string' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
  });
}
