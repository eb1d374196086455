/**
 * The LSP hover: over a `[MASK]`, the model's top predictions for it as a Markdown table.
 */
import type { Hover, Position } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { MaskPredictions } from '../protocol';
import { formatPercent } from '../protocol/format';
import { MASK, maskAt, maskContext } from './mask-context';

export type FillMaskFn = (text: string, topK: number) => Promise<{ masks: MaskPredictions[]; latencyMs: number }>;

export async function maskHover(
  document: TextDocument,
  position: Position,
  topK: number,
  fillMask: FillMaskFn,
): Promise<Hover | null> {
  const text = document.getText();
  const maskStart = maskAt(text, document.offsetAt(position));
  if (maskStart === undefined) return null;
  const context = maskContext(text, maskStart);
  const result = await fillMask(context.text, topK);
  const relative = maskStart - context.start;
  const mask = result.masks.find((m) => m.range[0] === relative);
  if (!mask) return null;
  const index = result.masks.indexOf(mask) + 1;
  return {
    contents: { kind: 'markdown', value: renderPredictions(mask, index, result.masks.length, result.latencyMs) },
    range: { start: document.positionAt(maskStart), end: document.positionAt(maskStart + MASK.length) },
  };
}

export function renderPredictions(mask: MaskPredictions, index: number, count: number, latencyMs: number): string {
  const title = count > 1 ? `**BERT Lens** — \`[MASK]\` ${index} of ${count}` : '**BERT Lens** — `[MASK]`';
  const rows = mask.predictions.map((p, i) => `| ${i + 1} | ${codeCell(p.token)} | ${formatPercent(p.score)} |`);
  return [title, '', '| # | token | probability |', '|---:|---|---:|', ...rows, '', `_${latencyMs.toFixed(0)} ms_`].join('\n');
}

/** A token as inline code inside a GFM table cell (pipes escaped, backticks fenced). */
function codeCell(token: string): string {
  const escaped = token.replace(/\|/g, '\\|');
  return token.includes('`') ? `\`\` ${escaped} \`\`` : `\`${escaped}\``;
}
