/**
 * The command table: each command is a small factory `(ctx) => handler`. A command that cannot
 * run (no selection, server down, bad input) says why and changes nothing.
 */
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import { FillMaskRequest, type FillMaskResult } from '../protocol';
import { validateText } from '../protocol/validate';
import type { Ctx } from './context';
import { formatMaskSummary } from './format';

type Handler = (...args: any[]) => unknown;
type CommandFactory = (ctx: Ctx) => Handler;

export const MASK = '[MASK]';

/** Arguments accepted by `bertLens.predictMaskedWords` when called programmatically. */
export interface PredictArgs {
  text?: string;
}

const predictMaskedWords: CommandFactory = (ctx) => async (args?: PredictArgs): Promise<FillMaskResult | undefined> => {
  const text = typeof args?.text === 'string' ? args.text : selectedText();
  if (text === undefined) {
    void vscode.window.showWarningMessage('BERT Lens: select text that contains [MASK] first.');
    return undefined;
  }
  const problem = validateText(text, ctx.config.maxTextLength);
  if (problem) {
    void vscode.window.showErrorMessage(`BERT Lens: ${problem}`);
    return undefined;
  }
  if (!text.includes(MASK)) {
    void vscode.window.showWarningMessage('BERT Lens: the selection contains no [MASK]. Write [MASK] where a word should be predicted.');
    return undefined;
  }
  const client = ctx.runningClient();
  if (client instanceof Error) {
    void vscode.window.showErrorMessage(`BERT Lens: ${client.message}`);
    return undefined;
  }
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'BERT Lens: predicting masked words…' },
      (_progress, token) => client.sendRequest(FillMaskRequest, { text, topK: ctx.config.topK }, token),
    );
    ctx.log.info(`Fill-mask (${result.latencyMs.toFixed(1)} ms):\n${formatMaskSummary(result, '\n')}`);
    // A notification shows about one line: the top few per mask, the full list in the log.
    const perMask = result.masks.length === 1 ? 3 : 2;
    const summary = formatMaskSummary(result, ' · ', perMask, 3);
    void vscode.window.showInformationMessage(`BERT Lens: ${summary}`, 'Show All').then((choice) => {
      if (choice) ctx.log.show(true);
    });
    return result;
  } catch (error) {
    const message = error instanceof ResponseError || error instanceof Error ? error.message : String(error);
    void vscode.window.showErrorMessage(`BERT Lens: ${message}`);
    return undefined;
  }
};

const showLog: CommandFactory = (ctx) => () => ctx.log.show(true);

const restartServer: CommandFactory = (ctx) => async () => {
  try {
    await ctx.restart();
    ctx.log.info('Server restarted.');
  } catch (error) {
    void vscode.window.showErrorMessage(`BERT Lens: the server failed to restart: ${(error as Error).message}`);
  }
};

/** The text of the active editor's selection, or undefined when there is none. */
function selectedText(): string | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty) return undefined;
  return editor.document.getText(editor.selection);
}

export const COMMANDS: Readonly<Record<string, CommandFactory>> = Object.freeze({
  'bertLens.predictMaskedWords': predictMaskedWords,
  'bertLens.showLog': showLog,
  'bertLens.restartServer': restartServer,
});

export function registerCommands(ctx: Ctx): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([name, factory]) => vscode.commands.registerCommand(name, factory(ctx)));
}
