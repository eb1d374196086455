/**
 * BERT Lens: Check Coherence (P(IsNext) at every sentence boundary of the selection or the
 * document; weak boundaries highlighted in the editor) and Compare Sentence Pair (P(IsNext)
 * of two sentences: the selection's, or two typed into input boxes).
 */
import * as vscode from 'vscode';
import { CoherenceRequest, NspRequest, type CoherenceResult, type NspResult } from '../../protocol';
import { formatPercent } from '../../protocol/format';
import { validateText } from '../../protocol/validate';
import { documentRange, selectionOrDocumentTarget, selectionTarget, textTarget, type TextTarget } from '../editor-text';
import { BertLensPanel } from '../panel';
import { callServer, showError } from '../server-call';
import type { CommandFactory } from './types';

export interface CheckCoherenceArgs {
  /** Text to check instead of the selection / document (no highlighting then). */
  text?: string;
}

/** The server's result, and the document ranges highlighted as weak transitions. */
export type CheckCoherenceOutcome = CoherenceResult & { highlighted: vscode.Range[] };

/** The editor decoration for a sentence that follows its predecessor weakly. */
let weakDecoration: vscode.TextEditorDecorationType | undefined;

function weakTransitionDecoration(): vscode.TextEditorDecorationType {
  weakDecoration ??= vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor('editor.findMatchHighlightBackground'),
    border: '1px dashed',
    borderColor: new vscode.ThemeColor('editorWarning.foreground'),
    overviewRulerColor: new vscode.ThemeColor('editorWarning.foreground'),
    overviewRulerLane: vscode.OverviewRulerLane.Right,
  });
  return weakDecoration;
}

export const checkCoherence: CommandFactory = (ctx) => {
  ctx.extensionContext.subscriptions.push({ dispose: () => weakDecoration?.dispose() });
  return async (args?: CheckCoherenceArgs): Promise<CheckCoherenceOutcome | undefined> => {
    const target: TextTarget | undefined = typeof args?.text === 'string' ? textTarget(args.text) : selectionOrDocumentTarget();
    if (!target) {
      void vscode.window.showWarningMessage('BERT Lens: open a document (or select a passage) to check its coherence.');
      return undefined;
    }
    const problem = validateText(target.text, ctx.config.maxTextLength);
    if (problem) {
      showError(ctx, problem);
      return undefined;
    }
    const result = await callServer(ctx, { title: 'BERT Lens: checking coherence…', cancellable: true }, (client, token) =>
      client.sendRequest(CoherenceRequest, { text: target.text, format: target.format, acrossParagraphs: true }, token),
    );
    if (!result) return undefined;
    const threshold = ctx.config.diagnostics.weakTransitionThreshold;
    const weak = result.boundaries.filter((b) => b.isNext < threshold);
    const highlighted = highlightWeak(target, result, threshold);
    ctx.log.info(coherenceReport(result, threshold));
    const { summary } = result;
    const message =
      summary.count === 0
        ? 'BERT Lens: no sentence boundaries to score.'
        : `BERT Lens: ${summary.count} sentence boundaries, mean P(IsNext) ${formatPercent(summary.mean ?? 0)}; ` +
          (weak.length === 0 ? 'no weak transitions.' : `${weak.length} weak (below ${formatPercent(threshold)}), weakest ${formatPercent(summary.min ?? 0)}.`);
    void vscode.window.showInformationMessage(message, 'Show in Panel', 'Show Details').then((choice) => {
      if (choice === 'Show Details') ctx.log.show(true);
      if (choice === 'Show in Panel') void BertLensPanel.createOrShow(ctx).analyze(target.text, 'coherence check', { format: target.format });
    });
    return { ...result, highlighted };
  };
};

/** Decorates the second sentence of each weak boundary (clears earlier highlights); returns the ranges. */
function highlightWeak(target: TextTarget, result: CoherenceResult, threshold: number): vscode.Range[] {
  if (!target.document) return [];
  const editor = vscode.window.visibleTextEditors.find((e) => e.document === target.document);
  if (!editor) return [];
  const decorations: vscode.DecorationOptions[] = [];
  for (const boundary of result.boundaries) {
    if (boundary.isNext >= threshold) continue;
    const sentence = result.sentences[boundary.to];
    const range = sentence && documentRange(target, sentence.range);
    if (!range) continue;
    const hover = new vscode.MarkdownString(
      `**BERT Lens:** weak transition — P(IsNext) ${formatPercent(boundary.isNext)} after the previous sentence` +
        (boundary.paragraphBoundary ? ' (new paragraph)' : '') + '.',
    );
    decorations.push({ range, hoverMessage: hover });
  }
  editor.setDecorations(weakTransitionDecoration(), decorations);
  return decorations.map((d) => d.range);
}

/** A readable table of the boundaries for the log. */
function coherenceReport(result: CoherenceResult, threshold: number): string {
  const lines = result.boundaries.map((b) => {
    const from = result.sentences[b.from]?.text ?? '';
    const to = result.sentences[b.to]?.text ?? '';
    const flag = b.isNext < threshold ? ' WEAK' : '';
    return `  ${String(b.from + 1).padStart(3)}→${String(b.to + 1).padEnd(3)} ${formatPercent(b.isNext).padStart(7)}${flag}  "${clip(from)}" → "${clip(to)}"`;
  });
  return [`Coherence (${result.latencyMs.toFixed(0)} ms, weak below ${formatPercent(threshold)}):`, ...lines].join('\n');
}

function clip(text: string, length = 50): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

export interface CompareSentencePairArgs {
  a?: string;
  b?: string;
}

export const compareSentencePair: CommandFactory = (ctx) => async (args?: CompareSentencePairArgs): Promise<NspResult | undefined> => {
  let a = args?.a;
  let b = args?.b;
  if (a === undefined || b === undefined) {
    const selected = selectionTarget();
    const sentences = selected ? splitSentences(selected.text) : [];
    if (sentences.length === 2) [a, b] = sentences;
    else {
      a = await vscode.window.showInputBox({
        title: 'BERT Lens: Compare Sentence Pair (1/2)',
        prompt: 'The first sentence (A)',
        value: sentences[0] ?? '',
        validateInput: (value) => (value.trim() ? undefined : 'Type a sentence'),
      });
      if (a === undefined) return undefined;
      b = await vscode.window.showInputBox({
        title: 'BERT Lens: Compare Sentence Pair (2/2)',
        prompt: 'The sentence that should follow it (B)',
        value: sentences.slice(1).join(' '),
        validateInput: (value) => (value.trim() ? undefined : 'Type a sentence'),
      });
      if (b === undefined) return undefined;
    }
  }
  for (const text of [a, b]) {
    const problem = validateText(text, ctx.config.maxTextLength);
    if (problem) {
      showError(ctx, problem);
      return undefined;
    }
  }
  const pair = { a: a.trim(), b: b.trim() };
  const result = await callServer(ctx, { title: 'BERT Lens: comparing the sentences…' }, (client, token) => client.sendRequest(NspRequest, pair, token));
  if (!result) return undefined;
  const verdict = result.isNext >= 0.5 ? 'reads as a continuation of' : 'does not read as a continuation of';
  const message = `BERT Lens: P(IsNext) ${formatPercent(result.isNext)} — "${clip(pair.b, 40)}" ${verdict} "${clip(pair.a, 40)}".`;
  ctx.log.info(message + (result.truncated ? ' (the pair was cut to the model’s length)' : ''));
  void vscode.window.showInformationMessage(message);
  return result;
};

/** Sentences of `text` (Intl.Segmenter), trimmed, empty ones dropped. */
export function splitSentences(text: string): string[] {
  const segmenter = new Intl.Segmenter(undefined, { granularity: 'sentence' });
  return [...segmenter.segment(text)].map((s) => s.segment.trim()).filter((s) => s !== '');
}
