/**
 * How a `[MASK]` hover reads: the model's top predictions for it as a Markdown table
 * (word-hover.ts decides when to show it).
 */
import type { MaskPredictions } from '../protocol';
import { formatPercent } from '../protocol/format';

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
