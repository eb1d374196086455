/**
 * BERT Lens: Classify Selection (label probabilities under a classifier head picked from the
 * heads the server lists) and Train Classifier from File… (a linear head from a labelled
 * .jsonl / .csv file, with a cross-validation report).
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { ClassifyRequest, ListHeadsRequest, TrainHeadRequest, type ClassifyResult, type HeadInfo, type TrainHeadResult } from '../../protocol';
import { formatPercent } from '../../protocol/format';
import { validateText } from '../../protocol/validate';
import { selectionTarget, uriFromArg, workspaceFolderPaths } from '../editor-text';
import { BertLensPanel } from '../panel';
import { callServer, showError } from '../server-call';
import type { CommandFactory } from './types';

export interface ClassifySelectionArgs {
  /** Text instead of the selection. */
  text?: string;
  /** Head name (as listed, `model` for the model's own) instead of the Quick Pick. */
  head?: string;
}

export const classifySelection: CommandFactory = (ctx) => async (args?: ClassifySelectionArgs): Promise<(ClassifyResult & { head: string }) | undefined> => {
  const text = typeof args?.text === 'string' ? args.text : selectionTarget()?.text;
  if (text === undefined) {
    void vscode.window.showWarningMessage('BERT Lens: select the text to classify first.');
    return undefined;
  }
  const problem = validateText(text, ctx.config.maxTextLength);
  if (problem) {
    showError(ctx, problem);
    return undefined;
  }
  const workspaceFolders = workspaceFolderPaths();
  let head = args?.head;
  if (head === undefined) {
    const heads = await callServer(ctx, { title: 'BERT Lens: listing classifiers…' }, (client, token) =>
      client.sendRequest(ListHeadsRequest, { workspaceFolders }, token),
    );
    if (!heads) return undefined;
    head = await pickHead(heads);
    if (head === undefined) return undefined;
  }
  const chosen = head;
  const result = await callServer(ctx, { title: 'BERT Lens: classifying…' }, (client, token) =>
    client.sendRequest(ClassifyRequest, { text, head: chosen, workspaceFolders }, token),
  );
  if (!result) return undefined;
  const labels = result.labels.map((l) => `${l.label} ${formatPercent(l.score)}`).join(' · ');
  ctx.log.info(`Classify (${chosen}, ${result.latencyMs.toFixed(0)} ms): ${labels}`);
  const panel = BertLensPanel.instance;
  if (panel) panel.head = chosen;
  void vscode.window.showInformationMessage(`BERT Lens (${chosen}): ${labels}`, 'Show in Panel').then((choice) => {
    if (!choice) return;
    const shown = BertLensPanel.createOrShow(ctx);
    shown.head = chosen;
    void shown.analyze(text, `classified with ${chosen}`);
  });
  return { ...result, head: chosen };
};

async function pickHead(heads: HeadInfo[]): Promise<string | undefined> {
  if (heads.length === 0) {
    const train = 'Train Classifier from File…';
    const choice = await vscode.window.showWarningMessage('BERT Lens: this model has no classifier and the workspace has no trained head.', train);
    if (choice === train) void vscode.commands.executeCommand('bertLens.trainClassifier');
    return undefined;
  }
  if (heads.length === 1) return heads[0].name;
  const source = { model: 'built into the model', workspace: 'trained in this workspace', bundled: 'bundled with the model' } as const;
  const picked = await vscode.window.showQuickPick(
    heads.map((head) => ({ label: head.name, description: source[head.source], detail: `Labels: ${head.labels.join(', ')}`, head: head.name })),
    { title: 'BERT Lens: classify with…', placeHolder: 'Pick a classifier head' },
  );
  return picked?.head;
}

export interface TrainClassifierArgs {
  /** The labelled data file (a Uri from the Explorer, or a path) instead of the file picker. */
  file?: vscode.Uri | string;
  /** The head's name instead of the input box. */
  name?: string;
  overwrite?: boolean;
  /** Folds of cross-validation (default: the server's). */
  folds?: number;
}

const HEAD_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const trainClassifier: CommandFactory = (ctx) => async (args?: TrainClassifierArgs | vscode.Uri): Promise<TrainHeadResult | undefined> => {
  // The Explorer passes the file's Uri; code passes TrainClassifierArgs.
  const options: TrainClassifierArgs = uriFromArg(args) && !(args as TrainClassifierArgs).file ? { file: uriFromArg(args) } : ((args as TrainClassifierArgs) ?? {});
  let file = uriFromArg(options.file);
  if (!file) {
    const picked = await vscode.window.showOpenDialog({
      title: 'BERT Lens: labelled examples to train a classifier on',
      canSelectMany: false,
      filters: { 'Labelled text (JSON Lines, CSV)': ['jsonl', 'csv'] },
      openLabel: 'Train on This File',
    });
    file = picked?.[0];
    if (!file) return undefined;
  }
  if (file.scheme !== 'file') {
    showError(ctx, `training needs a file on disk, not ${file.toString()}.`);
    return undefined;
  }
  const folder = vscode.workspace.getWorkspaceFolder(file) ?? vscode.workspace.workspaceFolders?.[0];
  if (!folder || folder.uri.scheme !== 'file') {
    showError(ctx, 'open a workspace folder first: trained heads are saved in its .bert-lens/heads/ folder.');
    return undefined;
  }
  const defaultName = path.basename(file.fsPath).replace(/\.(jsonl|csv)$/i, '').replace(/[^A-Za-z0-9_.-]/g, '-');
  const name =
    options.name ??
    (await vscode.window.showInputBox({
      title: 'BERT Lens: name the classifier',
      prompt: `Saved as .bert-lens/heads/<name>.json in ${folder.name}`,
      value: defaultName,
      validateInput: (value) => (HEAD_NAME.test(value) ? undefined : 'Letters, digits, "-", "_" and "." (at most 64), starting with a letter or digit'),
    }));
  if (name === undefined) return undefined;
  if (!HEAD_NAME.test(name)) {
    showError(ctx, `"${name}" is not a usable classifier name.`);
    return undefined;
  }
  const dataPath = file.fsPath;
  const result = await callServer(ctx, { title: `BERT Lens: training "${name}" on ${path.basename(dataPath)}…`, cancellable: true }, (client, token) =>
    client.sendRequest(
      TrainHeadRequest,
      { dataPath, name, workspaceFolder: folder.uri.fsPath, overwrite: options.overwrite, folds: options.folds },
      token,
    ),
  );
  if (!result) return undefined;
  const report = trainingReport(name, dataPath, result);
  ctx.log.info(report);
  const accuracy = result.accuracy === undefined ? '' : `, cross-validated accuracy ${formatPercent(result.accuracy)}`;
  void vscode.window
    .showInformationMessage(`BERT Lens: trained "${name}" on ${result.examples} examples (${result.labels.join(', ')})${accuracy}.`, 'Show Report')
    .then(async (choice) => {
      if (choice) await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ language: 'markdown', content: report }));
    });
  return result;
};

/** The training report as Markdown: summary, per-class figures and confusion matrix when present. */
export function trainingReport(name: string, dataPath: string, result: TrainHeadResult): string {
  const lines = [
    `# Classifier "${name}"`,
    '',
    `- Data: ${dataPath} (${result.examples} examples)`,
    `- Labels: ${result.labels.join(', ')}`,
    `- Saved to: ${result.headPath}`,
  ];
  if (result.accuracy !== undefined) lines.push(`- Cross-validated accuracy: ${formatPercent(result.accuracy)}`);
  const metrics = findMetrics(result.report);
  if (metrics) {
    lines.push('', '| Label | Precision | Recall | F1 | Examples |', '|---|---:|---:|---:|---:|');
    for (const c of metrics.perClass) {
      lines.push(`| ${c.label} | ${formatPercent(c.precision)} | ${formatPercent(c.recall)} | ${formatPercent(c.f1)} | ${c.support} |`);
    }
    if (metrics.confusion) {
      const labels = metrics.perClass.map((c) => c.label);
      lines.push('', 'Confusion matrix (rows: true label, columns: predicted):', '', `| | ${labels.join(' | ')} |`, `|---|${labels.map(() => '---:').join('|')}|`);
      metrics.confusion.forEach((row, i) => lines.push(`| ${labels[i]} | ${row.join(' | ')} |`));
    }
  }
  if (result.warnings.length > 0) lines.push('', '## Warnings', '', ...result.warnings.map((w) => `- ${w}`));
  return lines.join('\n') + '\n';
}

interface Metrics {
  perClass: Array<{ label: string; precision: number; recall: number; f1: number; support: number }>;
  confusion?: number[][];
}

/** The engine's per-class metrics, wherever the report keeps them (`report.crossValidation.metrics` or `report.metrics`). */
function findMetrics(report: unknown): Metrics | undefined {
  const candidates = [
    (report as { crossValidation?: { metrics?: unknown } } | undefined)?.crossValidation?.metrics,
    (report as { metrics?: unknown } | undefined)?.metrics,
    report,
  ];
  for (const candidate of candidates) {
    const perClass = (candidate as { perClass?: unknown } | undefined)?.perClass;
    if (Array.isArray(perClass)) return candidate as Metrics;
  }
  return undefined;
}
