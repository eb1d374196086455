// Shared helpers for the extension-host tests: the extension's public API and result types as
// the contract states them, activation with a deadline, polling with a deadline (never fixed
// sleeps), opening workspace or untitled documents, and recording error notifications.
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'bert-lens.bert-lens';

/** What `activate()` returns. */
export interface BertLensApi {
  ready(): Promise<void>;
  serverPid(): number | undefined;
  client: { isRunning?(): boolean };
}

export interface MaskPrediction {
  token: string;
  id: number;
  score: number;
}

/** What `bertLens.predictMaskedWords` returns. */
export interface FillMaskResult {
  masks: Array<{ range: [number, number]; predictions: MaskPrediction[] }>;
  latencyMs: number;
  truncated: boolean;
}

/** Loading the model and starting the server on 2 busy cores can take a while. */
export const READY_TIMEOUT_MS = 90_000;

export function withDeadline<T>(promise: Thenable<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([Promise.resolve(promise), deadline]).finally(() => clearTimeout(timer));
}

/** Calls `probe` until it returns a value other than undefined/false or the deadline passes. */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
}

/** The extension, activated, with its server running and model loaded. */
export async function readyApi(): Promise<BertLensApi> {
  const extension = vscode.extensions.getExtension<BertLensApi>(EXTENSION_ID);
  assert.ok(extension, `extension ${EXTENSION_ID} is not loaded`);
  const api = await withDeadline(extension.activate(), READY_TIMEOUT_MS, 'activation');
  assert.ok(api, 'activate() returned no API object');
  await withDeadline(api.ready(), READY_TIMEOUT_MS, 'api.ready()');
  return api;
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test workspace (examples/) is not open');
  return vscode.Uri.file(path.join(folder.uri.fsPath, name));
}

/**
 * Shows `doc` and waits until it is the active editor, with `selection` (document offsets or a
 * Selection) set on it. Commands read `window.activeTextEditor`, which can still be the editor of
 * a document closed a moment ago (a reused Untitled-N) when showTextDocument resolves.
 */
export async function showDocument(doc: vscode.TextDocument, selection?: vscode.Selection | [number, number]): Promise<vscode.TextEditor> {
  const wanted = Array.isArray(selection) ? new vscode.Selection(doc.positionAt(selection[0]), doc.positionAt(selection[1])) : selection;
  await vscode.window.showTextDocument(doc, { preview: false });
  return waitFor(
    async () => {
      const active = vscode.window.activeTextEditor;
      if (active?.document !== doc) {
        await vscode.window.showTextDocument(doc, { preview: false });
        return undefined;
      }
      if (wanted && !active.selection.isEqual(wanted)) active.selection = wanted;
      return (!wanted || active.selection.isEqual(wanted)) && active;
    },
    10_000,
    `${doc.uri.toString()} to be the active editor${wanted ? ' with its selection' : ''}`,
  );
}

export async function closeAllEditors(): Promise<void> {
  // An untitled document with text asks to be saved when closed, a dialog the smoke-test
  // driver cancels: it would stay open (and keep its Untitled-N name). Revert and close each.
  for (const doc of vscode.workspace.textDocuments.filter((d) => d.isUntitled && d.isDirty && !d.isClosed)) {
    await vscode.window.showTextDocument(doc, { preview: false });
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/** Runs the prediction command on `text` (no editor involved). */
export async function predict(text: string): Promise<FillMaskResult | undefined> {
  return vscode.commands.executeCommand<FillMaskResult | undefined>('bertLens.predictMaskedWords', { text });
}

/** Every offset of `[MASK]` in `text`, in order. */
export function maskOffsets(text: string): number[] {
  const offsets: number[] = [];
  for (let at = text.indexOf('[MASK]'); at >= 0; at = text.indexOf('[MASK]', at + 1)) offsets.push(at);
  return offsets;
}

/** Checks one mask's predictions: non-empty, named tokens, ids, scores in (0, 1], sorted. */
export function assertWellFormedPredictions(predictions: MaskPrediction[], where: string): void {
  assert.ok(Array.isArray(predictions) && predictions.length > 0, `${where}: no predictions`);
  for (const [i, p] of predictions.entries()) {
    assert.strictEqual(typeof p.token, 'string', `${where}[${i}].token`);
    assert.ok(p.token.length > 0, `${where}[${i}].token is empty`);
    assert.ok(Number.isInteger(p.id) && p.id >= 0, `${where}[${i}].id = ${p.id}`);
    assert.ok(p.score > 0 && p.score <= 1, `${where}[${i}].score = ${p.score} not in (0, 1]`);
    if (i > 0) {
      assert.ok(predictions[i - 1].score >= p.score, `${where}: scores not sorted at ${i}`);
    }
  }
  const total = predictions.reduce((sum, p) => sum + p.score, 0);
  assert.ok(total <= 1 + 1e-4, `${where}: scores add up to ${total} > 1, not probabilities`);
}

export interface Shown {
  text: string;
  actions: string[];
}

/** Records every error notification the extension shows (they are still shown). */
export function recordErrors(): { shown: Shown[]; restore(): void } {
  const window = vscode.window as { showErrorMessage: (...args: unknown[]) => Thenable<unknown> };
  const original = window.showErrorMessage;
  const shown: Shown[] = [];
  window.showErrorMessage = (text: unknown, ...items: unknown[]) => {
    shown.push({ text: String(text), actions: items.filter((i): i is string => typeof i === 'string') });
    return original.call(vscode.window, text, ...items);
  };
  return { shown, restore: () => (window.showErrorMessage = original) };
}

/** The actions every BERT Lens error notification offers. */
export const ERROR_ACTIONS = ['Show Log', 'Select Model', 'Restart Server'];

/** Waits for a recorded error matching `pattern` and checks that it offers ERROR_ACTIONS. */
export async function shownMatching(shown: Shown[], pattern: RegExp): Promise<Shown> {
  const found = await waitFor(() => shown.find((s) => pattern.test(s.text)), 30_000, `an error notification matching ${pattern}`);
  assert.deepStrictEqual(found.actions, ERROR_ACTIONS, `"${found.text}" does not offer ${ERROR_ACTIONS.join(', ')}`);
  return found;
}
