/**
 * `bert-lens nsp`: the probability that TEXT_B follows TEXT_A (next-sentence prediction), for
 * one pair or for every line `{"a": "...", "b": "..."}` of a JSONL file (`--input`), as a
 * readable line or as the contract's JSON `{"isNext": p}`.
 */
import { resolve } from 'node:path';
import { loadModel } from '../engine';
import { nextSentenceProbability, nextSentenceSettled, type NspResult, type SentencePair } from '../engine/nsp';
import { formatPercent } from '../protocol/format';
import { probabilityBar } from './bar';
import { runJsonLines } from './json-lines';
import { type CommandContext, parseCommandArgs, resolveCliModel, UsageError } from './shared';

export const NSP_USAGE = `  nsp [--model M] [--json] TEXT_A TEXT_B
      Probability that TEXT_B is the sentence that follows TEXT_A (next-sentence prediction).
  nsp [--model M] --input FILE.jsonl --json
      One JSON object {"a": "...", "b": "..."} per input line; one {"isNext": p} line per input line.`;

export async function runNsp(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCliArgs(args);
  const json = values.json === true;
  if (values.input !== undefined && positionals.length > 0) throw new UsageError('give either TEXT_A TEXT_B or --input FILE, not both');
  if (values.input === undefined && positionals.length !== 2) {
    throw new UsageError(
      positionals.length < 2
        ? `missing ${positionals.length === 0 ? 'TEXT_A and TEXT_B' : 'TEXT_B'} (or --input FILE.jsonl)`
        : `expected two texts, got ${positionals.length} (quote each text)`,
    );
  }
  if (values.input !== undefined && !json) throw new UsageError('--input needs --json (the output is one JSON line per input line)');

  const model = await loadModel(await resolveCliModel(values.model, ctx), { executionProvider: 'cpu' });
  if (values.input !== undefined) {
    return runJsonLines(resolve(ctx.cwd, values.input), ctx, {
      command: 'nsp',
      parse: pairOf,
      run: (pairs) => nextSentenceSettled(model, pairs),
      toJson: nspJson,
      note: (result) => (result.truncated ? `the pair was cut to ${model.tokenizer.maxLength} tokens` : undefined),
    });
  }

  const [a, b] = positionals;
  const result = await nextSentenceProbability(model, a, b);
  if (result.truncated) ctx.stderr.write(`bert-lens nsp: the pair was longer than the model reads (${model.tokenizer.maxLength} tokens) and was cut, longest text first\n`);
  ctx.stdout.write(json ? `${JSON.stringify(nspJson(result))}\n` : formatResult(result));
  return 0;
}

/** The contract's JSON shape for one pair. */
export function nspJson(result: NspResult): { isNext: number } {
  return { isNext: result.isNext };
}

/** `{"a": "...", "b": "..."}` → the pair. */
function pairOf(value: unknown): SentencePair {
  const { a, b } = (value ?? {}) as { a?: unknown; b?: unknown };
  if (typeof a !== 'string' || typeof b !== 'string') throw new Error('expected an object with "a" and "b" strings');
  return [a, b];
}

function formatResult(result: NspResult): string {
  const verdict = result.isNext >= 0.5 ? 'B follows A' : 'B does not follow A';
  const note = result.truncated ? ' (pair truncated)' : '';
  return `P(IsNext) ${probabilityBar(result.isNext)} ${formatPercent(result.isNext).padStart(6)}  ${verdict}${note}\n`;
}

function parseCliArgs(args: string[]) {
  return parseCommandArgs(args, {
    model: { type: 'string' },
    json: { type: 'boolean' },
    input: { type: 'string' },
  });
}
