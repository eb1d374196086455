/**
 * BERT Lens: Suggest Replacements for Selection — a Quick Pick of whole-word alternatives with
 * their probabilities (and the original's probability and rank). Nothing changes until one is
 * picked; the pick is applied as one undoable edit, and only if the document has not changed
 * since the request.
 */
import * as vscode from 'vscode';
import { ReplacementsRequest, type ReplacementResult } from '../../protocol';
import { formatPercent } from '../../protocol/format';
import { documentFromArg } from '../editor-text';
import { callServer, showError } from '../server-call';
import type { CommandFactory } from './types';

/** Characters of context sent on each side of the selection (the engine reads a window of it). */
const CONTEXT_CHARS = 4000;

/**
 * Arguments for tests and other extensions: `uri` and `range` (document offsets) instead of
 * the active selection, `pick` (a candidate index or its text) instead of the Quick Pick.
 */
export interface SuggestReplacementsArgs {
  uri?: vscode.Uri | string;
  range?: [number, number];
  pick?: number | string;
}

export interface SuggestReplacementsOutcome {
  result: ReplacementResult;
  /** The word that replaced the original, if one was picked and applied. */
  applied?: string;
}

export const suggestReplacements: CommandFactory = (ctx) => async (args?: SuggestReplacementsArgs): Promise<SuggestReplacementsOutcome | undefined> => {
  const editor = vscode.window.activeTextEditor;
  const document = args?.uri ? await documentFromArg(args.uri) : editor?.document;
  let range = args?.range;
  if (!range && editor && document === editor.document && !editor.selection.isEmpty) {
    range = [document.offsetAt(editor.selection.start), document.offsetAt(editor.selection.end)];
  }
  if (!document || !range || range[0] >= range[1]) {
    void vscode.window.showWarningMessage('BERT Lens: select a word (or a few) to get replacements for.');
    return undefined;
  }
  const version = document.version;
  const full = document.getText();
  const sliceStart = Math.max(0, range[0] - CONTEXT_CHARS);
  const text = full.slice(sliceStart, Math.min(full.length, range[1] + CONTEXT_CHARS));
  const local: [number, number] = [range[0] - sliceStart, range[1] - sliceStart];

  const result = await callServer(ctx, { title: 'BERT Lens: finding replacements…' }, (client, token) =>
    client.sendRequest(ReplacementsRequest, { text, range: local, topK: Math.max(ctx.config.topK, 5) }, token),
  );
  if (!result) return undefined;
  const original = result.original;
  ctx.log.info(
    `Replacements for "${original.text}" (${formatPercent(original.probability)}, rank ${original.rank}): ` +
      result.candidates.map((c) => `${c.text} ${formatPercent(c.probability)}`).join(', '),
  );
  if (result.candidates.length === 0) {
    void vscode.window.showInformationMessage(`BERT Lens: no alternatives for "${original.text}".`);
    return { result };
  }

  const choice = args?.pick !== undefined ? pickFromArgs(result, args.pick) : await pickCandidate(result);
  if (choice === undefined) return { result };

  if (document.version !== version) {
    void vscode.window.showWarningMessage('BERT Lens: the document changed while the replacements were computed; nothing was replaced. Run the command again.');
    return { result };
  }
  const edit = new vscode.WorkspaceEdit();
  const target = new vscode.Range(document.positionAt(sliceStart + result.range[0]), document.positionAt(sliceStart + result.range[1]));
  edit.replace(document.uri, target, choice);
  if (!(await vscode.workspace.applyEdit(edit))) {
    showError(ctx, `could not replace "${original.text}" with "${choice}".`);
    return { result };
  }
  return { result, applied: choice };
};

function pickFromArgs(result: ReplacementResult, pick: number | string): string | undefined {
  if (typeof pick === 'number') return result.candidates[pick]?.text;
  return result.candidates.find((c) => c.text === pick)?.text;
}

async function pickCandidate(result: ReplacementResult): Promise<string | undefined> {
  const original = result.original;
  type Item = vscode.QuickPickItem & { word?: string };
  const items: Item[] = [
    ...result.candidates.map((candidate, i) => ({
      label: candidate.text,
      description: formatPercent(candidate.probability),
      detail: i === 0 && candidate.probability > original.probability ? 'the model’s first choice' : undefined,
      word: candidate.text,
    })),
    { label: 'original', kind: vscode.QuickPickItemKind.Separator },
    { label: `$(circle-slash) Keep "${original.text}"`, description: `${formatPercent(original.probability)} · rank ${original.rank}` },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: `BERT Lens: replace "${original.text}" (${formatPercent(original.probability)}, rank ${original.rank})`,
    placeHolder: result.expanded ? 'The selection was widened to whole words. Pick a replacement…' : 'Pick a replacement…',
    matchOnDescription: true,
  });
  return picked?.word;
}
