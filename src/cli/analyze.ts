/**
 * `bert-lens analyze FILE`: one report on a text file (or stdin with `-`): the words the model
 * finds unlikely with alternatives, coherence at each sentence boundary, and labels per
 * paragraph from a head (default: the model's shipped `sentiment` head, if any). Readable by
 * default, one JSON object with --json. Bad input (empty, no sentences) gives a partial
 * report with warnings; large input is read up to a cap with a warning.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadModel } from '../engine';
import { classify, type ClassifierHead } from '../engine/classify';
import { coherence, DEFAULT_MAX_SENTENCES, TooFewSentencesError } from '../engine/coherence';
import { splitSentences, type Sentence } from '../engine/sentences';
import { unlikelyWords, type UnlikelyWord } from '../engine/surprisal';
import { formatPercent } from '../protocol/format';
import { probabilityBar } from './bar';
import { formatBytes, readFileCapped, readStreamCapped } from './capped-input';
import { resolveHead } from './classify';
import { coherenceJson, type CoherenceCommandContext } from './coherence';
import { parseCommandArgs, parseFormat, resolveCliModel, UsageError } from './shared';
import { columnOf, lineIndex } from './text-position';

export const ANALYZE_USAGE = `  analyze [--model M] [--json] [--threshold P] [--top N] [--max-words W] [--weak P]
          [--head NAME] [--format markdown|plain] FILE
      Report on FILE ("-" = stdin): unlikely words (probability below P, default 0.001; the
      N least likely, default 20) with alternatives, scanning the first W words (default
      2,000, whole sentences); coherence at each sentence boundary (below --weak, default
      0.5, flagged); labels per paragraph from a head (default: "sentiment" if the model
      ships it). Reads at most 256 KiB and 2,000 sentences.`;

/** Bytes read from FILE; the rest is left out with a warning (the word scan is the slow part). */
export const ANALYZE_MAX_BYTES = 256 * 1024;
/** Paragraphs labelled at most (the rest are skipped with a warning). */
export const MAX_LABELLED_PARAGRAPHS = 500;
const DEFAULT_WORD_THRESHOLD = 0.001;
const DEFAULT_TOP = 20;
export const DEFAULT_MAX_WORDS = 2000;
const DEFAULT_WEAK = 0.5;
const DEFAULT_HEAD = 'sentiment';

export async function runAnalyze(args: string[], ctx: CoherenceCommandContext): Promise<number> {
  const { values, positionals } = parseCliArgs(args);
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'missing FILE ("-" reads stdin)' : `expected one FILE, got ${positionals.length}`);
  }
  const [source] = positionals;
  const wordThreshold = parseProbability('--threshold', values.threshold, DEFAULT_WORD_THRESHOLD, true);
  const weak = parseProbability('--weak', values.weak, DEFAULT_WEAK, false);
  const top = parseCount('--top', values.top, DEFAULT_TOP, 0, 1000);
  const maxWords = parseCount('--max-words', values['max-words'], DEFAULT_MAX_WORDS, 1, 10_000_000);
  const format = parseFormat(values.format, source);
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    ctx.stderr.write(`bert-lens analyze: warning: ${message}\n`);
  };

  const stdin = ctx.stdin ?? process.stdin;
  const input = source === '-' ? await readStreamCapped(stdin, ANALYZE_MAX_BYTES) : await readFileCapped(resolve(ctx.cwd, source), ANALYZE_MAX_BYTES);
  const name = source === '-' ? 'stdin' : source;
  if (input.text.includes('\u0000')) throw new Error(`${name} looks like a binary file (it contains NUL bytes), not text`);
  if (input.cut) warn(`${name} is ${formatBytes(input.totalBytes)}; analysing only the first ${formatBytes(ANALYZE_MAX_BYTES)}`);
  const text = input.text;
  const lineOf = lineIndex(text);
  // Split once (Intl.Segmenter is slow on large texts); coherence splits on its own.
  const split = splitSentences(text, { format, maxSentences: DEFAULT_MAX_SENTENCES });

  const modelFolder = await resolveCliModel(values.model, ctx);
  const model = await loadModel(modelFolder, { executionProvider: 'cpu' });
  const started = performance.now();

  // 1. Unlikely words.
  let words: UnlikelyWord[] = [];
  let scanned = 0;
  let scannedTokens = 0;
  let scanMs = 0;
  if (text.trim() === '') {
    warn(`${name} is empty: nothing to analyse`);
  } else if (!model.hasOutput('mlm_logits')) {
    warn('the model has no masked-LM head, so unlikely words are not reported');
  } else {
    const byWords = endAfterWords(split.sentences, maxWords);
    const scanEnd = byWords ?? split.stoppedAt ?? text.length;
    if (scanEnd < text.length) {
      const limit = byWords === undefined ? `the first ${split.sentences.length} sentences` : `the first ${maxWords} words; raise --max-words to scan more`;
      warn(`scanning words only up to line ${lineOf(scanEnd)} (${limit})`);
    }
    const scannedSentences = split.sentences.filter((sentence) => sentence.range[1] <= scanEnd);
    const result = await unlikelyWords(model, text.slice(0, scanEnd), {
      threshold: wordThreshold,
      max: top,
      sentences: scannedSentences.map((sentence) => sentence.range),
    });
    words = result.words;
    // Words as --max-words counts them (runs of letters or digits); the engine's count adds punctuation.
    scanned = scannedSentences.reduce((n, sentence) => n + countWords(sentence.text), 0);
    scannedTokens = result.scannedWords;
    scanMs = result.latencyMs;
  }

  // 2. Coherence.
  let coherenceReport: ReturnType<typeof coherenceJson> | undefined;
  if (text.trim() !== '') {
    if (!model.hasOutput('nsp_logits')) {
      warn('the model has no next-sentence head, so coherence is not reported');
    } else {
      try {
        const result = await coherence(model, text, { format });
        if (result.stoppedAt !== undefined) warn(`coherence read only the first ${result.sentences.length} sentences`);
        coherenceReport = coherenceJson(result, text, weak);
      } catch (error) {
        if (!(error instanceof TooFewSentencesError)) throw error;
        warn(`no coherence: ${error.message}`);
      }
    }
  }

  // 3. Labels per paragraph.
  const labels: Array<{ paragraph: number; range: [number, number]; line: number; labels: Array<{ label: string; score: number }> }> = [];
  let labelNote: string | undefined;
  const head = await chooseHead(values.head, ctx.cwd, modelFolder);
  if (head === undefined) {
    labelNote = `no labels: the model ships no "${DEFAULT_HEAD}" head (give one with --head NAME)`;
  } else if (text.trim() !== '') {
    const paragraphs = split.paragraphs.filter((p) => text.slice(p.range[0], p.range[1]).trim() !== '');
    if (paragraphs.length > MAX_LABELLED_PARAGRAPHS) warn(`labelling only the first ${MAX_LABELLED_PARAGRAPHS} of ${paragraphs.length} paragraphs`);
    const chosen = paragraphs.slice(0, MAX_LABELLED_PARAGRAPHS);
    const results = chosen.length === 0 ? [] : await classify(model, chosen.map((p) => text.slice(p.range[0], p.range[1])), head.head, { onWarning: warn });
    chosen.forEach((p, i) =>
      labels.push({
        paragraph: i + 1,
        range: p.range,
        line: lineOf(p.range[0]),
        labels: results[i].labels.map(({ label, score }) => ({ label, score })),
      }),
    );
  }

  const ms = performance.now() - started;
  const stats = {
    /** Words scanned for unlikely words: runs of letters or digits, as --max-words counts them. */
    words: scanned,
    /** `words` per second of the word scan (the model runs that mask each word). */
    wordsPerSecond: scanMs > 0 ? scanned / (scanMs / 1000) : 0,
    /** The scan's own count: BERT pre-tokenizer words, punctuation marks included. */
    bertWords: scannedTokens,
    scanMs,
    ms,
  };
  if (values.json === true) {
    ctx.stdout.write(
      `${JSON.stringify({
        unlikelyWords: words.map((w) => ({
          word: w.text,
          line: lineOf(w.range[0]),
          column: columnOf(text, w.range[0]),
          range: w.range,
          probability: w.probability,
          surprisal: w.surprisal,
          alternatives: w.alternatives,
        })),
        coherence: coherenceReport === undefined ? null : { boundaries: coherenceReport.boundaries, summary: coherenceReport.summary, threshold: weak },
        labels,
        ...(head === undefined ? {} : { head: head.name }),
        stats,
        warnings,
      })}\n`,
    );
    return 0;
  }

  const out: string[] = [`${name}: analysed with ${model.folder.dir}`, ''];
  out.push(`Unlikely words (probability below ${formatPercent(wordThreshold)}, at most ${top}):`);
  if (words.length === 0) out.push('  none');
  for (const w of words) {
    const where = `${lineOf(w.range[0])}:${columnOf(text, w.range[0])}`;
    const alternatives = w.alternatives.map((a) => `${a.text} ${formatPercent(a.probability)}`).join(', ');
    out.push(`  ${where.padEnd(8)} ${JSON.stringify(w.text).padEnd(16)} ${formatPercent(w.probability).padStart(9)}  → ${alternatives || '(no alternatives)'}`);
  }
  out.push('', `Coherence (boundaries below ${formatPercent(weak)} flagged WEAK):`);
  if (coherenceReport === undefined || coherenceReport.boundaries.length === 0) {
    out.push('  no sentence boundary scored');
  } else {
    for (const b of coherenceReport.boundaries) {
      const line = coherenceReport.sentences[b.to].line;
      out.push(`  ${String(b.from + 1).padStart(3)} → ${String(b.to + 1).padEnd(3)} line ${String(line).padEnd(4)} ${probabilityBar(b.isNext)} ${formatPercent(b.isNext).padStart(6)}  ${b.weak ? 'WEAK' : ''}`.trimEnd());
    }
    const s = coherenceReport.summary;
    out.push(`  mean ${formatPercent(s.mean!)}, lowest ${formatPercent(s.min!)}; ${s.weak} of ${s.count} weak`);
  }
  out.push('', head === undefined ? 'Labels per paragraph:' : `Labels per paragraph (head "${head.name}"):`);
  if (labelNote !== undefined) out.push(`  ${labelNote}`);
  else if (labels.length === 0) out.push('  no paragraph');
  for (const l of labels) {
    out.push(`  ¶${String(l.paragraph).padEnd(3)} line ${String(l.line).padEnd(4)} ${l.labels.map((x) => `${x.label} ${formatPercent(x.score)}`).join(', ')}`);
  }
  out.push('', `${scanned} words scanned (${stats.wordsPerSecond.toFixed(0)} words/s), ${ms.toFixed(0)} ms in all`);
  ctx.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

/** The head for the labels section: --head, else the model's shipped `sentiment` head if any. */
async function chooseHead(spec: string | undefined, cwd: string, modelFolder: string): Promise<{ head: ClassifierHead; name: string } | undefined> {
  if (spec !== undefined) return { head: (await resolveHead(spec, cwd, modelFolder)).head, name: spec };
  const shipped = join(modelFolder, 'heads', `${DEFAULT_HEAD}.json`);
  if (!existsSync(shipped)) return undefined;
  return { head: (await resolveHead(shipped, cwd, modelFolder)).head, name: DEFAULT_HEAD };
}

function parseProbability(option: string, value: string | undefined, fallback: number, positive: boolean): number {
  if (value === undefined) return fallback;
  const percent = value.endsWith('%');
  const n = Number(percent ? value.slice(0, -1) : value) / (percent ? 100 : 1);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1 || (positive && n === 0)) {
    throw new UsageError(`${option} must be a probability ${positive ? 'above 0' : 'from 0'} up to 1 (or a percentage such as 40%), got "${value}"`);
  }
  return n;
}

function parseCount(option: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new UsageError(`${option} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

/**
 * Where the word scan stops: the end of the first sentence by which `maxWords` words (runs of
 * letters or digits) have been seen; undefined when the sentences hold fewer.
 */
function endAfterWords(sentences: readonly Sentence[], maxWords: number): number | undefined {
  let seen = 0;
  for (const sentence of sentences) {
    seen += countWords(sentence.text);
    if (seen >= maxWords) return sentence.range[1];
  }
  return undefined;
}

/** Runs of letters or digits in `text`. */
function countWords(text: string): number {
  return text.match(/[\p{L}\p{N}]+/gu)?.length ?? 0;
}

function parseCliArgs(args: string[]) {
  return parseCommandArgs(args, {
    model: { type: 'string' },
    json: { type: 'boolean' },
    threshold: { type: 'string' },
    weak: { type: 'string' },
    top: { type: 'string' },
    'max-words': { type: 'string' },
    head: { type: 'string' },
    format: { type: 'string' },
  });
}
