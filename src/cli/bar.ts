/**
 * A probability drawn as a fixed-width text bar for terminal reports ("█████░░░░░").
 * Eighth blocks give the bar sub-character resolution.
 */
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

export function probabilityBar(probability: number, width = 20): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(probability) ? probability : 0));
  const eighths = Math.round(clamped * width * 8);
  const full = Math.floor(eighths / 8);
  const partial = EIGHTHS[eighths % 8];
  return `${'█'.repeat(full)}${partial}`.padEnd(width, '·');
}
