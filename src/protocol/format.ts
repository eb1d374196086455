/**
 * How a probability is written for people, the same in hovers, messages and the CLI:
 * three significant digits below 10%, one decimal above ("52.3%", "1.23%", "0.0051%").
 */
export function formatPercent(score: number): string {
  const percent = score * 100;
  return `${percent >= 10 ? percent.toFixed(1) : percent.toPrecision(3)}%`;
}
