/**
 * Short human-readable renderings of results for messages and the log.
 */
import type { FillMaskResult } from '../protocol';
import { formatPercent } from '../protocol/format';

/**
 * "[MASK] → cat 12.3%, dog 8.1%" per mask, joined by `separator`.
 * `perMask` / `maxMasks` shorten it for a notification, which shows about one line.
 */
export function formatMaskSummary(result: FillMaskResult, separator: string, perMask = Infinity, maxMasks = Infinity): string {
  const shown = result.masks.slice(0, maxMasks).map((mask, i) => {
    const label = result.masks.length > 1 ? `[MASK] ${i + 1}` : '[MASK]';
    const predictions = mask.predictions.slice(0, perMask).map((p) => `${p.token} ${formatPercent(p.score)}`).join(', ');
    return `${label} → ${predictions}`;
  });
  const hidden = result.masks.length - shown.length;
  return shown.join(separator) + (hidden > 0 ? `${separator}${hidden} more` : '');
}
