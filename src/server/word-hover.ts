/**
 * The LSP hover, for documents in the configured languages (or comments of code files, with
 * `bertLens.comments.enabled`; see context.ts): over `[MASK]` the model's
 * predictions (hover.ts renders them; concurrent mask hovers share one batched fill-mask run);
 * over any other word its whole-word alternatives in context with probabilities, and the word's
 * own probability and rank (replacements.ts). Markdown code is left alone. A hover for an
 * outdated document version, or one superseded by a newer hover, is dropped before it runs.
 */
import type { CancellationToken, Hover, HoverParams } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { fillMaskSettled } from '../engine';
import { suggestReplacements, type ReplacementResult } from '../engine/replacements';
import type { FillMaskResult } from '../protocol';
import { formatPercent } from '../protocol/format';
import type { ServerContext } from './context';
import { renderPredictions } from './hover';
import { MASK, maskAt, maskContext, spanContext } from './mask-context';
import { insideRanges, wordAt } from './text-regions';

export async function provideHover(ctx: ServerContext, params: HoverParams, token: CancellationToken): Promise<Hover | null> {
  const document = ctx.documents.get(params.textDocument.uri);
  if (!document) return null;
  const settings = await ctx.settings.forDocument(document.uri);
  if (!settings.hover.enabled || !ctx.covers(document, settings)) return null;
  // In a code file only comment text is left; code reads as blank space, so it gets no hover.
  const text = ctx.textOf(document, settings);
  const offset = document.offsetAt(params.position);
  if (insideRanges(ctx.codeRangesOf(document), offset)) return null;
  const version = document.version;
  const job = {
    token,
    isStale: () => ctx.isOutdated(document.uri, version),
    supersedeKey: `hover ${document.uri}`,
  };

  const maskStart = maskAt(text, offset);
  if (maskStart !== undefined) {
    const context = maskContext(text, maskStart);
    const result = await batchedFillMask(ctx, context.text, settings.topK, { ...job, label: 'hover [MASK]' });
    const relative = maskStart - context.start;
    const index = result.masks.findIndex((m) => m.range[0] === relative);
    if (index < 0) return null;
    return {
      contents: { kind: 'markdown', value: renderPredictions(result.masks[index], index + 1, result.masks.length, result.latencyMs) },
      range: { start: document.positionAt(maskStart), end: document.positionAt(maskStart + MASK.length) },
    };
  }

  const word = wordAt(text, offset);
  if (!word) return null;
  const context = spanContext(text, word[0], word[1]);
  const result = await ctx.queue.run({ ...job, label: 'hover word' }, (model) =>
    suggestReplacements(model, context.text, [word[0] - context.start, word[1] - context.start], { topK: settings.topK }),
  );
  return {
    contents: { kind: 'markdown', value: renderAlternatives(result) },
    range: rangeOf(document, result.range[0] + context.start, result.range[1] + context.start),
  };
}

/** Fill-mask for one text, batched with the other fill-mask calls waiting in the queue. */
export function batchedFillMask(
  ctx: ServerContext,
  text: string,
  topK: number,
  options: Parameters<ServerContext['queue']['run']>[0],
): Promise<FillMaskResult> {
  return ctx.queue.batch(`fillMask ${topK}`, text, options, async (model, texts) => {
    const outcomes = await fillMaskSettled(model, texts, { topK, batchSize: texts.length });
    return outcomes.map((o) => (o.ok ? { ok: true as const, value: o.result } : { ok: false as const, error: o.error }));
  });
}

function rangeOf(document: TextDocument, start: number, end: number) {
  return { start: document.positionAt(start), end: document.positionAt(end) };
}

export function renderAlternatives(result: ReplacementResult): string {
  const { original, candidates } = result;
  const rows = candidates.map((c, i) => `| ${i + 1} | ${cell(c.text)} | ${formatPercent(c.probability)} |`);
  return [
    `**BERT Lens** — ${cell(original.text)}: ${formatPercent(original.probability)}, rank ${original.rank.toLocaleString('en')}`,
    '',
    '| # | alternative | probability |',
    '|---:|---|---:|',
    ...rows,
    '',
    `_${result.latencyMs.toFixed(0)} ms_`,
  ].join('\n');
}

/** Text as inline code inside a GFM table cell (pipes escaped, backticks fenced). */
function cell(text: string): string {
  const escaped = text.replace(/\|/g, '\\|');
  return text.includes('`') ? `\`\` ${escaped} \`\`` : `\`${escaped}\``;
}
