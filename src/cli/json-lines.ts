/**
 * The `--input FILE.jsonl --json` mode every batch command shares: read the file, parse each
 * line, run the good ones in one batched call, and write one output line per input line in
 * order — a bad line gets `{"error": "line N: ..."}` in its place (and on stderr), and makes
 * the exit code 1.
 */
import { readFile } from 'node:fs/promises';
import type { CommandContext } from './shared';

export type Outcome<R> = { ok: true; result: R } | { ok: false; error: Error };

export interface JsonLinesJob<I, R> {
  /** Command name for stderr messages, e.g. "fill-mask". */
  command: string;
  /** Turns one parsed JSON value into an input; throws with a readable message when it can't. */
  parse: (value: unknown) => I;
  /** Runs every good input at once (batched), one outcome per input, in order. */
  run: (inputs: I[]) => Promise<Outcome<R>[]>;
  /** The contract's JSON for one result. */
  toJson: (result: R) => unknown;
  /** Optional note on stderr for a good result (e.g. truncation), given its 1-based line. */
  note?: (result: R, line: number) => string | undefined;
}

/** Reads a text file; a missing file or a folder gives a one-line error naming the path. */
export async function readInputFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

export async function runJsonLines<I, R>(path: string, ctx: CommandContext, job: JsonLinesJob<I, R>): Promise<number> {
  const lines = (await readInputFile(path)).split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const parsed = lines.map((line): { input: I } | { error: Error } => {
    try {
      return { input: job.parse(parseJson(line)) };
    } catch (error) {
      return { error: error as Error };
    }
  });
  const outcomes = await job.run(parsed.flatMap((p) => ('input' in p ? [p.input] : [])));
  let failures = 0;
  let next = 0;
  for (const [index, line] of parsed.entries()) {
    const outcome: Outcome<R> = 'input' in line ? outcomes[next++] : { ok: false, error: line.error };
    if (outcome.ok) {
      const note = job.note?.(outcome.result, index + 1);
      if (note) ctx.stderr.write(`bert-lens ${job.command}: ${path}: line ${index + 1}: ${note}\n`);
      ctx.stdout.write(`${JSON.stringify(job.toJson(outcome.result))}\n`);
      continue;
    }
    failures++;
    const message = `line ${index + 1}: ${outcome.error.message}`;
    ctx.stderr.write(`bert-lens ${job.command}: ${path}: ${message}\n`);
    ctx.stdout.write(`${JSON.stringify({ error: message })}\n`);
  }
  return failures === 0 ? 0 : 1;
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new Error('not valid JSON');
  }
}

/** `{"text": "..."}` → the text. */
export function textOf(value: unknown): string {
  const text = (value as { text?: unknown } | null)?.text;
  if (typeof text !== 'string') throw new Error('expected an object with a "text" string');
  return text;
}
