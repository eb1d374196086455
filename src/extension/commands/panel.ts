/**
 * BERT Lens: Open Panel (analyse the selection, the document or `args.text` in the panel) and
 * Analyze Document (the whole document, unlikely words included, under cancellable progress).
 */
import * as vscode from 'vscode';
import { validateText } from '../../protocol/validate';
import { documentFromArg, documentTarget, selectionOrDocumentTarget, textTarget } from '../editor-text';
import { BertLensPanel, type PanelAnalysis, type RenderedReport } from '../panel';
import { callServer, showError } from '../server-call';
import type { Ctx } from '../context';
import type { CommandFactory } from './types';

export interface OpenPanelArgs {
  /** Text to analyse instead of the selection / document. */
  text?: string;
  /** Resolve with what the webview drew once every section is drawn (tests). */
  waitForRender?: boolean;
}

export interface OpenPanelOutcome {
  analysis?: PanelAnalysis;
  rendered?: RenderedReport;
}

export const openPanel: CommandFactory = (ctx) => async (args?: OpenPanelArgs): Promise<OpenPanelOutcome> => {
  const target = typeof args?.text === 'string' ? textTarget(args.text) : selectionOrDocumentTarget();
  const panel = BertLensPanel.createOrShow(ctx, true);
  if (!target || target.text.trim() === '') return {};
  const problem = validateText(target.text, ctx.config.maxTextLength);
  if (problem) {
    showError(ctx, problem);
    return {};
  }
  const origin = target.document ? `${target.offset > 0 || target.text !== target.document.getText() ? 'selection in ' : ''}${fileName(target.document)}` : 'text';
  const analysis = await panel.analyze(target.text, origin, { format: target.format });
  reportFailures(ctx, analysis, 'Open Panel');
  const rendered = args?.waitForRender ? await panel.waitForRendered() : undefined;
  return { analysis, rendered };
};

export interface AnalyzeDocumentArgs {
  /** The document (Uri or path) instead of the active editor's. */
  uri?: vscode.Uri | string;
  waitForRender?: boolean;
}

export const analyzeDocument: CommandFactory = (ctx) => async (args?: AnalyzeDocumentArgs): Promise<OpenPanelOutcome | undefined> => {
  const document = await documentFromArg(args?.uri);
  if (!document) {
    void vscode.window.showWarningMessage('BERT Lens: open a document to analyse first.');
    return undefined;
  }
  const target = documentTarget(document);
  const problem = validateText(target.text, ctx.config.maxTextLength);
  if (problem) {
    showError(ctx, problem);
    return undefined;
  }
  const panel = BertLensPanel.createOrShow(ctx, true);
  // Following the selection would replace the document's analysis at the next click.
  panel.setPinned(false);
  const analysis = await callServer(ctx, { title: `BERT Lens: analysing ${fileName(document)}…`, cancellable: true }, (_client, token, progress) =>
    panel.analyze(target.text, fileName(document), { format: target.format, unlikely: true, token, progress }),
  );
  if (!analysis) return undefined;
  reportFailures(ctx, analysis, 'Analyze Document');
  const rendered = args?.waitForRender ? await panel.waitForRendered() : undefined;
  return { analysis, rendered };
};

/**
 * Sections that failed show their error in the panel and the log; when none has anything to
 * show (the model did not load, the server stopped), an error notification says so as well.
 */
function reportFailures(ctx: Ctx, analysis: PanelAnalysis, command: string): void {
  const sections = Object.entries(analysis);
  const failed = sections.flatMap(([id, section]) => (section?.state === 'error' ? [`${id}: ${section.message}`] : []));
  if (failed.length === 0) return;
  ctx.log.warn(`${command}: ${failed.join('; ')}`);
  if (!sections.some(([, section]) => section?.state === 'data')) {
    const first = Object.values(analysis).find((section) => section?.state === 'error') as { message: string };
    showError(ctx, `${command} could not analyse the text: ${first.message}`);
  }
}

function fileName(document: vscode.TextDocument): string {
  return document.uri.path.split('/').pop() || document.uri.toString();
}
