/**
 * BERT Lens: Predict Masked Words — fill every `[MASK]` of the selection (or of `args.text`).
 */
import * as vscode from 'vscode';
import { FillMaskRequest, type FillMaskResult } from '../../protocol';
import { validateText } from '../../protocol/validate';
import { selectionTarget } from '../editor-text';
import { formatMaskSummary } from '../format';
import { BertLensPanel } from '../panel';
import { callServer, showError } from '../server-call';
import type { CommandFactory } from './types';

export const MASK = '[MASK]';

/** Arguments accepted by `bertLens.predictMaskedWords` when called programmatically. */
export interface PredictArgs {
  text?: string;
}

export const predictMaskedWords: CommandFactory = (ctx) => async (args?: PredictArgs): Promise<FillMaskResult | undefined> => {
  const text = typeof args?.text === 'string' ? args.text : selectionTarget()?.text;
  if (text === undefined) {
    void vscode.window.showWarningMessage('BERT Lens: select text that contains [MASK] first.');
    return undefined;
  }
  const problem = validateText(text, ctx.config.maxTextLength);
  if (problem) {
    showError(ctx, problem);
    return undefined;
  }
  if (!text.includes(MASK)) {
    void vscode.window.showWarningMessage('BERT Lens: the selection contains no [MASK]. Write [MASK] where a word should be predicted.');
    return undefined;
  }
  const result = await callServer(ctx, { title: 'BERT Lens: predicting masked words…' }, (client, token) =>
    client.sendRequest(FillMaskRequest, { text, topK: ctx.config.topK }, token),
  );
  if (!result) return undefined;
  ctx.log.info(`Fill-mask (${result.latencyMs.toFixed(1)} ms):\n${formatMaskSummary(result, '\n')}`);
  // A notification shows about one line: the top few per mask, the full list in the log / panel.
  const perMask = result.masks.length === 1 ? 3 : 2;
  const summary = formatMaskSummary(result, ' · ', perMask, 3);
  void vscode.window.showInformationMessage(`BERT Lens: ${summary}`, 'Show in Panel', 'Show All').then((choice) => {
    if (choice === 'Show All') ctx.log.show(true);
    if (choice === 'Show in Panel') void BertLensPanel.createOrShow(ctx).analyze(text, 'prediction');
  });
  return result;
};
