/**
 * Code actions: quick fixes replacing an `unlikely-word` diagnostic's word with each of its
 * alternatives (taken from the diagnostic's data: no model run), plus "Ignore" (the client's
 * command adding the word to `bertLens.diagnostics.ignoredWords`, when the client has one: a
 * setting lives in the client); and, when the user asks for code actions (not the automatic
 * light-bulb query), "Replace with …" rewrites of the word at the cursor or the selected
 * words, from the model's whole-word replacements, less those making the same edit as a quick
 * fix. Each action is one TextEdit in a WorkspaceEdit, so the editor undoes it in one step.
 */
import {
  CodeActionKind,
  CodeActionTriggerKind,
  type CancellationToken,
  type CodeAction,
  type CodeActionParams,
  type Diagnostic,
} from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { suggestReplacements } from '../engine/replacements';
import type { UnlikelyWordData } from '../protocol';
import { formatPercent } from '../protocol/format';
import type { ServerContext } from './context';
import { DIAGNOSTIC_SOURCE, UNLIKELY_WORD } from './diagnostics';
import { spanContext } from './mask-context';
import { insideRanges, wordAt } from './text-regions';

export async function provideCodeActions(ctx: ServerContext, params: CodeActionParams, token: CancellationToken): Promise<CodeAction[]> {
  const document = ctx.documents.get(params.textDocument.uri);
  if (!document) return [];
  const settings = await ctx.settings.forDocument(document.uri);
  if (!ctx.covers(document, settings)) return [];
  const only = params.context.only;
  const wants = (kind: string) => !only || only.some((k) => kind === k || kind.startsWith(`${k}.`));

  const actions: CodeAction[] = [];
  if (wants(CodeActionKind.QuickFix)) {
    for (const diagnostic of params.context.diagnostics) actions.push(...quickFixes(document, diagnostic, ctx.ignoreWordCommand));
  }
  const invoked = params.context.triggerKind !== CodeActionTriggerKind.Automatic;
  if (invoked && wants(CodeActionKind.RefactorRewrite)) {
    try {
      // A rewrite that makes the same edit as a quick fix above would be listed twice.
      const fixes = new Set(actions.flatMap((a) => editKeys(a, document.uri)));
      const rewrites = await replaceWith(ctx, document, ctx.textOf(document, settings), params, settings.topK, token);
      actions.push(...rewrites.filter((r) => !editKeys(r, document.uri).some((key) => fixes.has(key))));
    } catch (error) {
      // Nothing to offer (no word there, a [MASK], a cancelled request): the quick fixes still stand.
      if (!token.isCancellationRequested) ctx.log(`Replace with…: ${(error as Error).message}`);
    }
  }
  return actions;
}

/** One key per text edit of `action` in `uri`: its range and new text. */
function editKeys(action: CodeAction, uri: string): string[] {
  return (action.edit?.changes?.[uri] ?? []).map(({ range: { start, end }, newText }) => `${start.line}:${start.character}-${end.line}:${end.character} ${newText}`);
}

function quickFixes(document: TextDocument, diagnostic: Diagnostic, ignoreWordCommand: string | undefined): CodeAction[] {
  const data = diagnostic.data as UnlikelyWordData | undefined;
  if (diagnostic.source !== DIAGNOSTIC_SOURCE || diagnostic.code !== UNLIKELY_WORD || data?.kind !== 'unlikely-word') return [];
  const fixes: CodeAction[] = data.alternatives.map((alternative, i) => ({
    title: `Replace "${data.word}" with "${alternative.text}" (${formatPercent(alternative.probability)})`,
    kind: CodeActionKind.QuickFix,
    diagnostics: [diagnostic],
    isPreferred: i === 0,
    edit: { changes: { [document.uri]: [{ range: diagnostic.range, newText: alternative.text }] } },
  }));
  if (ignoreWordCommand) {
    const title = `Ignore "${data.word}" in BERT Lens diagnostics`;
    fixes.push({ title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], command: { title, command: ignoreWordCommand, arguments: [data.word, document.uri] } });
  }
  return fixes;
}

async function replaceWith(
  ctx: ServerContext,
  document: TextDocument,
  /** What the model reads: the document's text, or a code file's comment view. */
  text: string,
  params: CodeActionParams,
  topK: number,
  token: CancellationToken,
): Promise<CodeAction[]> {
  let start = document.offsetAt(params.range.start);
  let end = document.offsetAt(params.range.end);
  if (start === end) {
    const word = wordAt(text, start, true);
    if (!word) return [];
    [start, end] = word;
  }
  if (insideRanges(ctx.codeRangesOf(document), start)) return [];
  const context = spanContext(text, start, end);
  if (end - context.start > context.text.length) return []; // a selection longer than the window
  const version = document.version;
  const result = await ctx.queue.run(
    { label: 'replace with', token, isStale: () => ctx.isOutdated(document.uri, version), supersedeKey: `code action ${document.uri}` },
    (model) => suggestReplacements(model, context.text, [start - context.start, end - context.start], { topK }),
  );
  const range = { start: document.positionAt(result.range[0] + context.start), end: document.positionAt(result.range[1] + context.start) };
  return result.candidates.map((candidate) => ({
    title: `Replace with "${candidate.text}" (${formatPercent(candidate.probability)})`,
    kind: CodeActionKind.RefactorRewrite,
    edit: { changes: { [document.uri]: [{ range, newText: candidate.text }] } },
  }));
}
