/**
 * How a probability is written for people, the same in hovers, messages and the CLI:
 * one decimal from 10% up, three significant digits below ("52.3%", "1.23%", "0.00513%"),
 * and "<0.0001%" below that, where digits stop meaning anything to a reader.
 */
export function formatPercent(score: number): string {
  const percent = score * 100;
  if (percent >= 10) return `${percent.toFixed(1)}%`;
  if (percent < 1e-4) return '<0.0001%';
  return `${Number(percent.toPrecision(3)).toString()}%`;
}
