/**
 * `bert-lens bench`: a quick latency check of one model on this machine: load time, then
 * fill-mask at 16 and 128 tokens (or the model's limit if lower), batch 1 and 8, a few
 * warm-up runs then timed runs, reported as median / p95 ms with the process's RSS.
 * (The full comparison against transformers.js is `npm run bench`.)
 */
import { fillMaskBatch, loadModel, type BertModel } from '../engine';
import { type CommandContext, parseCommandArgs, resolveCliModel, UsageError } from './shared';

export const BENCH_USAGE = `  bench [--model M] [--runs N] [--json]
      Quick fill-mask latency of the model on this machine: load ms, then median / p95 ms at
      16 and 128 tokens (at most the model's limit), batch 1 and 8, and memory (RSS). For the
      full comparison against transformers.js, run "npm run bench" in the repository.`;

export const BENCH_SEQUENCE_LENGTHS = [16, 128] as const;
export const BENCH_BATCH_SIZES = [1, 8] as const;
const WARMUP_RUNS = 3;
const DEFAULT_RUNS = 20;
/** A case stops early after this much timed work, so the whole bench stays short. */
const CASE_BUDGET_MS = 5000;

export interface BenchCase {
  tokens: number;
  batch: number;
  runs: number;
  medianMs: number;
  p95Ms: number;
}

export async function runBench(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCliArgs(args);
  if (positionals.length > 0) throw new UsageError(`bench takes no arguments, got "${positionals[0]}"`);
  const runs = parseRuns(values.runs);
  const folder = await resolveCliModel(values.model, ctx);
  const loadStarted = performance.now();
  const model = await loadModel(folder, { executionProvider: 'cpu' });
  const loadMs = performance.now() - loadStarted;
  if (!model.hasOutput('mlm_logits')) throw new Error(`the model in ${folder} has no masked-LM head; bench times fill-mask`);

  const cases: BenchCase[] = [];
  const lengths = [...new Set(BENCH_SEQUENCE_LENGTHS.map((n) => Math.min(n, model.tokenizer.maxLength)))];
  for (const tokens of lengths) {
    const text = await textOfTokens(model, tokens);
    for (const batch of BENCH_BATCH_SIZES) {
      const texts = new Array<string>(batch).fill(text);
      for (let i = 0; i < WARMUP_RUNS; i++) await fillMaskBatch(model, texts, { batchSize: batch });
      const times: number[] = [];
      const caseStarted = performance.now();
      while (times.length < runs && (times.length < 3 || performance.now() - caseStarted < CASE_BUDGET_MS)) {
        const started = performance.now();
        await fillMaskBatch(model, texts, { batchSize: batch });
        times.push(performance.now() - started);
      }
      cases.push({ tokens, batch, runs: times.length, medianMs: percentile(times, 0.5), p95Ms: percentile(times, 0.95) });
    }
  }
  const rssMiB = process.memoryUsage().rss / (1024 * 1024);
  const report = { model: folder, executionProvider: 'cpu', loadMs, cases, rssMiB };
  if (values.json === true) {
    ctx.stdout.write(`${JSON.stringify(report)}\n`);
    return 0;
  }
  const out = [`model ${folder} (cpu), loaded in ${loadMs.toFixed(0)} ms`, '', 'tokens  batch  runs  median ms   p95 ms'];
  for (const c of cases) {
    out.push(`${String(c.tokens).padStart(6)}  ${String(c.batch).padStart(5)}  ${String(c.runs).padStart(4)}  ${c.medianMs.toFixed(2).padStart(9)}  ${c.p95Ms.toFixed(2).padStart(7)}`);
  }
  out.push('', `RSS ${rssMiB.toFixed(0)} MiB`, 'For the full comparison against transformers.js: npm run bench');
  ctx.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

/** A text with one [MASK] that encodes to exactly `tokens` ids ([CLS] and [SEP] included). */
export async function textOfTokens(model: BertModel, tokens: number): Promise<string> {
  const mask = model.tokenizer.specialTokens.mask;
  const words = ['the', 'a', 'of', 'and', 'to', 'in', 'is', 'it'];
  const filler = words.find((w) => model.tokenizer.tokenToId(w) !== undefined) ?? 'a';
  const build = (count: number) => [mask, ...new Array<string>(count).fill(filler)].join(' ');
  // [CLS] [MASK] filler… [SEP]: correct the count against the real tokenizer.
  let count = Math.max(0, tokens - 3);
  for (let attempt = 0; attempt < 4; attempt++) {
    const length = (await model.tokenizer.encode(build(count))).ids.length;
    if (length === tokens) break;
    count = Math.max(0, count + tokens - length);
  }
  return build(count);
}

/** Nearest-rank percentile of `values` (not empty). */
export function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function parseRuns(value: string | undefined): number {
  if (value === undefined) return DEFAULT_RUNS;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 3 || n > 1000) throw new UsageError(`--runs must be an integer from 3 to 1000, got "${value}"`);
  return n;
}

function parseCliArgs(args: string[]) {
  return parseCommandArgs(args, {
    model: { type: 'string' },
    json: { type: 'boolean' },
    runs: { type: 'string' },
  });
}
