/**
 * `bert-lens coherence FILE`: next-sentence probability at every sentence boundary of a text
 * file (or stdin with `-`), as a readable report with bars and the weak transitions flagged,
 * or as JSON. Large inputs are read up to a cap, with a warning, never loaded whole.
 */
import { resolve } from 'node:path';
import { loadModel } from '../engine';
import { coherence, DEFAULT_MAX_SENTENCES, type CoherenceBoundary, type CoherenceResult } from '../engine/coherence';
import { formatPercent } from '../protocol/format';
import { probabilityBar } from './bar';
import { formatBytes, readFileCapped, readStreamCapped } from './capped-input';
import { type CommandContext, parseCommandArgs, parseFormat, resolveCliModel, UsageError } from './shared';
import { lineIndex } from './text-position';

export const COHERENCE_USAGE = `  coherence [--model M] [--json] [--threshold P] [--across-paragraphs]
            [--format markdown|plain] [--locale L] [--max-sentences N] FILE
      Next-sentence probability at each sentence boundary of FILE ("-" = stdin), weak ones
      (below P, default 0.5) flagged. Markdown (.md) skips code blocks; headings and list
      items are paragraphs of their own. Reads at most 1 MiB and 2,000 sentences.`;

/** Bytes read from a file or stdin; the rest is left out with a warning. */
export const MAX_INPUT_BYTES = 1024 * 1024;
export const DEFAULT_THRESHOLD = 0.5;

/** The command context, plus the stream `-` reads (default: process.stdin). */
export interface CoherenceCommandContext extends CommandContext {
  stdin?: NodeJS.ReadableStream;
}

export async function runCoherence(args: string[], ctx: CoherenceCommandContext): Promise<number> {
  const { values, positionals } = parseCliArgs(args);
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'missing FILE ("-" reads stdin)' : `expected one FILE, got ${positionals.length}`);
  }
  const threshold = parseThreshold(values.threshold);
  const maxSentences = parseMaxSentences(values['max-sentences']);
  const format = parseFormat(values.format, positionals[0]);
  const locale = parseLocale(values.locale);
  const [source] = positionals;
  const warn = (message: string) => ctx.stderr.write(`bert-lens coherence: warning: ${message}\n`);

  const stdin = ctx.stdin ?? process.stdin;
  if (source === '-' && (stdin as { isTTY?: boolean }).isTTY) ctx.stderr.write('bert-lens coherence: reading the text from the terminal; end it with Ctrl-D\n');
  const input = source === '-' ? await readStreamCapped(stdin, MAX_INPUT_BYTES) : await readFileCapped(resolve(ctx.cwd, source), MAX_INPUT_BYTES);
  const name = source === '-' ? 'stdin' : source;
  if (input.text.includes('\u0000')) throw new Error(`${name} looks like a binary file (it contains NUL bytes), not text`);
  if (input.cut) {
    warn(`${name} is ${formatBytes(input.totalBytes)}; reading only the first ${formatBytes(MAX_INPUT_BYTES)} (up to line ${lineOf(input.text, input.text.length)})`);
  }

  const model = await loadModel(await resolveCliModel(values.model, ctx), { executionProvider: 'cpu' });
  const result = await coherence(model, input.text, {
    acrossParagraphs: values['across-paragraphs'] === true,
    format,
    locale,
    maxSentences,
  });
  if (result.stoppedAt !== undefined) {
    warn(`read only the first ${result.sentences.length} sentences (up to line ${lineOf(input.text, result.stoppedAt)}); raise --max-sentences to read more`);
  }
  if (result.boundaries.length === 0) {
    warn('no two sentences share a paragraph, so no boundary was scored; add --across-paragraphs to compare sentences across paragraphs');
  }
  const truncated = result.boundaries.filter((b) => b.truncated).length;
  if (truncated > 0) warn(`${truncated} sentence pair(s) were longer than the model reads (${model.tokenizer.maxLength} tokens) and were cut`);

  ctx.stdout.write(values.json === true ? `${JSON.stringify(coherenceJson(result, input.text, threshold))}\n` : formatReport(result, input.text, name, threshold));
  return 0;
}

/** The JSON report: the engine's result with 1-based line numbers and the weak flag. */
export function coherenceJson(result: CoherenceResult, text: string, threshold: number) {
  const lines = lineIndex(text);
  return {
    sentences: result.sentences.map((s) => ({ ...s, line: lines(s.range[0]) })),
    paragraphs: result.paragraphs,
    boundaries: result.boundaries.map((b) => ({ ...b, weak: b.isNext < threshold })),
    summary: {
      ...result.summary,
      weak: result.boundaries.filter((b) => b.isNext < threshold).length,
    },
    threshold,
    latencyMs: result.latencyMs,
    ...(result.stoppedAt === undefined ? {} : { stoppedAt: result.stoppedAt }),
  };
}

const SNIPPET = 36;

function formatReport(result: CoherenceResult, text: string, name: string, threshold: number): string {
  const { sentences, paragraphs, boundaries, summary } = result;
  const lines = lineIndex(text);
  const out: string[] = [];
  const across = boundaries.some((b) => b.paragraphBoundary);
  out.push(
    `${name}: ${sentences.length} sentences in ${paragraphs.length} paragraph${paragraphs.length === 1 ? '' : 's'}, ` +
      `${boundaries.length} boundar${boundaries.length === 1 ? 'y' : 'ies'} scored${across ? ' (¶ = across paragraphs)' : ' within paragraphs'}`,
  );
  if (boundaries.length > 0) {
    const numberWidth = String(sentences.length).length;
    const lineWidth = String(lines(text.length)).length;
    out.push('');
    for (const boundary of boundaries) {
      const weak = boundary.isNext < threshold;
      const pair = `${String(boundary.from + 1).padStart(numberWidth)} → ${String(boundary.to + 1).padEnd(numberWidth)}`;
      out.push(
        `  ${pair} ${boundary.paragraphBoundary ? '¶' : ' '} line ${String(lines(sentences[boundary.to].range[0])).padEnd(lineWidth)}  ` +
          `${probabilityBar(boundary.isNext)} ${formatPercent(boundary.isNext).padStart(6)}  ${weak ? 'WEAK' : '    '}  ` +
          `${snippet(sentences[boundary.from].text, 'end')} → ${snippet(sentences[boundary.to].text, 'start')}`,
      );
    }
    const weakCount = boundaries.filter((b) => b.isNext < threshold).length;
    out.push('');
    out.push(
      `mean ${formatPercent(summary.mean!)}, lowest ${formatPercent(summary.min!)} at ${describe(summary.weakest!, lines, sentences)}; ` +
        `${weakCount} of ${boundaries.length} below the threshold ${formatPercent(threshold)}`,
    );
  }
  out.push(`${result.latencyMs.toFixed(0)} ms`);
  return `${out.join('\n')}\n`;
}

function describe(boundary: CoherenceBoundary, lines: (offset: number) => number, sentences: CoherenceResult['sentences']): string {
  return `sentences ${boundary.from + 1} → ${boundary.to + 1} (line ${lines(sentences[boundary.to].range[0])})`;
}

/** The end of the earlier sentence and the start of the later one, so the seam is visible. */
function snippet(text: string, keep: 'start' | 'end'): string {
  if (text.length <= SNIPPET) return `"${text}"`;
  return keep === 'start' ? `"${text.slice(0, SNIPPET - 1)}…"` : `"…${text.slice(text.length - SNIPPET + 1)}"`;
}

function lineOf(text: string, offset: number): number {
  return lineIndex(text)(offset);
}

function parseThreshold(value: string | undefined): number {
  if (value === undefined) return DEFAULT_THRESHOLD;
  const percent = value.endsWith('%');
  const n = Number(percent ? value.slice(0, -1) : value) / (percent ? 100 : 1);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new UsageError(`--threshold must be a probability from 0 to 1 (or a percentage such as 40%), got "${value}"`);
  }
  return n;
}

function parseMaxSentences(value: string | undefined): number {
  if (value === undefined) return DEFAULT_MAX_SENTENCES;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 2) throw new UsageError(`--max-sentences must be an integer of at least 2, got "${value}"`);
  return n;
}

function parseLocale(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return new Intl.Segmenter(value, { granularity: 'sentence' }).resolvedOptions().locale;
  } catch {
    throw new UsageError(`--locale must be a BCP 47 language tag such as en or de-CH, got "${value}"`);
  }
}

function parseCliArgs(args: string[]) {
  return parseCommandArgs(args, {
    model: { type: 'string' },
    json: { type: 'boolean' },
    threshold: { type: 'string' },
    'across-paragraphs': { type: 'boolean' },
    format: { type: 'string' },
    locale: { type: 'string' },
    'max-sentences': { type: 'string' },
  });
}
