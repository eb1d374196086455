/**
 * What every CLI command gets: output streams, the working folder and the package root
 * (where bundled models live), plus the usage error type.
 */
export interface CommandContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
  packageRoot: string;
}

/** A mistake in the command line itself (exit code 2). */
export class UsageError extends Error {}

export function parseTopK(value: string | undefined): number {
  if (value === undefined) return 5;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 50) throw new UsageError(`--top-k must be an integer from 1 to 50, got "${value}"`);
  return n;
}
