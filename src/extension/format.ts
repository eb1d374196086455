/**
 * Short human-readable renderings of results for messages and the log.
 */
import type { FillMaskResult } from '../protocol';
import { formatPercent } from '../protocol/format';

/** "[MASK] → cat 12.3%, dog 8.1%" per mask, joined by `separator`. */
export function formatMaskSummary(result: FillMaskResult, separator: string): string {
  return result.masks
    .map((mask, i) => {
      const label = result.masks.length > 1 ? `[MASK] ${i + 1}` : '[MASK]';
      const predictions = mask.predictions.map((p) => `${p.token} ${formatPercent(p.score)}`).join(', ');
      return `${label} → ${predictions}`;
    })
    .join(separator);
}
