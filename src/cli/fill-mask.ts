/**
 * `bert-lens fill-mask`: predictions for every `[MASK]` of one text, or of every line of a
 * JSONL file (`--input`), as a readable table or as the contract's JSON.
 */
import { resolve } from 'node:path';
import { fillMask, fillMaskSettled, loadModel } from '../engine';
import type { FillMaskResult } from '../engine/types';
import { resolveModel } from '../model/resolve';
import { formatPercent } from '../protocol/format';
import { runJsonLines, textOf } from './json-lines';
import { type CommandContext, parseCommandArgs, parseTopK, resolveCliModel, UsageError } from './shared';

/** The contract's JSON shape for one text. */
export function fillMaskJson(result: FillMaskResult) {
  return { masks: result.masks.map((mask) => ({ predictions: mask.predictions.map(({ token, score }) => ({ token, score })) })) };
}

export async function runFillMask(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCliArgs(args);
  const topK = parseTopK(values['top-k']);
  const json = values.json === true;
  if (values.input !== undefined && positionals.length > 0) throw new UsageError('give either TEXT or --input FILE, not both');
  if (values.input === undefined && positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'missing TEXT (or --input FILE.jsonl)' : 'give TEXT as one argument (quote it)');
  }
  if (values.input !== undefined && !json) throw new UsageError('--input needs --json (the output is one JSON line per input line)');

  const model = await loadModel(await resolveCliModel(values.model, ctx), { executionProvider: 'cpu' });
  if (values.input !== undefined) {
    return runJsonLines(resolve(ctx.cwd, values.input), ctx, {
      command: 'fill-mask',
      parse: textOf,
      run: (texts) => fillMaskSettled(model, texts, { topK }),
      toJson: fillMaskJson,
    });
  }

  const result = await fillMask(model, positionals[0], { topK });
  ctx.stdout.write(json ? `${JSON.stringify(fillMaskJson(result))}\n` : formatTable(result));
  return 0;
}

function formatTable(result: FillMaskResult): string {
  const out: string[] = [];
  result.masks.forEach((mask, i) => {
    out.push(`[MASK] ${i + 1} of ${result.masks.length} (characters ${mask.range[0]}-${mask.range[1]})`);
    const width = Math.max(...mask.predictions.map((p) => p.token.length));
    mask.predictions.forEach((p, rank) => {
      out.push(`  ${String(rank + 1).padStart(2)}. ${p.token.padEnd(width)}  ${formatPercent(p.score).padStart(7)}`);
    });
  });
  if (result.truncated) out.push('(the text was longer than the model reads and was truncated)');
  out.push(`${result.latencyMs.toFixed(1)} ms`);
  return `${out.join('\n')}\n`;
}

function parseCliArgs(args: string[]) {
  return parseCommandArgs(args, {
    model: { type: 'string' },
    'top-k': { type: 'string' },
    json: { type: 'boolean' },
    input: { type: 'string' },
  });
}
