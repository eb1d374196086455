/**
 * `bertLens/trainHead`: trains a linear head from a labelled file (JSONL or CSV) and saves it as
 * `.bert-lens/heads/NAME.json` in the given workspace folder, reporting LSP work-done progress
 * (the client's `workDoneToken`, or one the server creates with `window/workDoneProgress/create`)
 * and stopping on `$/cancelRequest` or a click on the progress's cancel button.
 */
import { basename, isAbsolute } from 'node:path';
import type { CancellationToken, WorkDoneProgressReporter, WorkDoneProgressServerReporter } from 'vscode-languageserver/node';
import { isPooling, POOLINGS } from '../engine/features';
import { readLabelledData } from '../engine/labelled-data';
import { writeLinearHead } from '../engine/linear-head';
import { trainLinearHead } from '../engine/train-head';
import type { TrainHeadParams, TrainHeadResult } from '../protocol';
import type { ServerContext } from './context';
import { invalid, optionalInteger } from './errors';
import { cancelledError, queuedModel } from './queue';
import { isValidHeadName, workspaceHeadPath } from './heads';

export async function trainHead(ctx: ServerContext, params: TrainHeadParams, token: CancellationToken): Promise<TrainHeadResult> {
  if (typeof params.dataPath !== 'string' || !isAbsolute(params.dataPath)) throw invalid('dataPath must be an absolute path to a JSONL or CSV file');
  if (typeof params.workspaceFolder !== 'string' || !isAbsolute(params.workspaceFolder)) throw invalid('workspaceFolder must be an absolute folder path');
  if (typeof params.name !== 'string' || !isValidHeadName(params.name)) {
    throw invalid(`name must be 1-100 letters, digits, spaces, '.', '-' or '_' (and not "model"), got ${JSON.stringify(params.name)}`);
  }
  if (params.pooling !== undefined && !isPooling(params.pooling)) throw invalid(`pooling must be ${POOLINGS.map((p) => `"${p}"`).join(', ')}`);
  const folds = optionalInteger(params.folds, 'folds', 0, 100);
  if (folds === 1) throw invalid('folds must be 0 (no cross-validation) or at least 2');
  const headPath = workspaceHeadPath(params.workspaceFolder, params.name);

  const data = await readLabelledData(params.dataPath);
  const progress = await progressReporter(ctx, params);
  progress.begin(`Training head "${params.name}"`, 0, `${data.examples.length} examples`, true);
  const controller = new AbortController();
  const stop = () => controller.abort(cancelledError());
  const subscriptions = [token.onCancellationRequested(stop)];
  if ('token' in progress) subscriptions.push((progress as WorkDoneProgressServerReporter).token.onCancellationRequested(stop));
  const warnings = [...data.warnings];
  try {
    // Each batch of features is its own background job, so hovers are answered during training.
    const model = queuedModel(ctx.queue, await ctx.model(), { label: 'trainHead', token, priority: 'background' });
    const { head, report } = await trainLinearHead(model, data, {
        name: params.name,
        modelName: ctx.host?.current().model || basename(model.folder.dir),
        pooling: params.pooling,
        folds,
        dataFile: params.dataPath,
        signal: controller.signal,
        onWarning: (message) => warnings.push(message),
        onProgress: ({ phase, done, total }) => {
          const share = phase === 'features' ? 0.8 * (done / Math.max(1, total)) : 0.8 + 0.2 * (done / Math.max(1, total));
          const what = phase === 'features' ? `features ${done}/${total}` : phase === 'final' ? 'final fit' : `cross-validation fold ${done}/${total - 1}`;
          progress.report(Math.round(100 * share), what);
        },
      });
    await writeLinearHead(headPath, head, { overwrite: params.overwrite === true });
    const metrics = report.crossValidation?.metrics;
    return {
      headPath,
      labels: report.labels,
      examples: report.examples,
      ...(metrics ? { accuracy: metrics.accuracy } : {}),
      report,
      warnings,
    };
  } finally {
    for (const s of subscriptions) s.dispose();
    progress.done();
  }
}

/** The client's progress token when it sent one, else a server-created one (or a silent reporter). */
async function progressReporter(ctx: ServerContext, params: TrainHeadParams): Promise<WorkDoneProgressReporter> {
  if (params.workDoneToken !== undefined) return ctx.connection.window.attachWorkDoneProgress(params.workDoneToken);
  try {
    return await ctx.connection.window.createWorkDoneProgress();
  } catch {
    return ctx.connection.window.attachWorkDoneProgress(undefined);
  }
}
