/**
 * Word probabilities and surprisal: the pseudo-log-likelihood of every word of a text (each
 * word's pieces masked, with the rest of its window visible), a faster document scan that
 * masks several non-adjacent words per sequence, a per-sentence cache for re-scans, and the
 * list of unlikely words with alternatives that the analyze report and diagnostics show.
 *
 *   const { words } = await wordProbabilities(model, 'The cat sat on the mat.');
 *   // words[1] = { text: 'cat', range: [4, 7], probability: 0.003, surprisal: 8.4, rank: 57, pieces: 1, ... }
 *   const scan = await scanDocument(model, readme, { maskEvery: 6 });   // scan.wordsPerSecond
 *   const { words: odd } = await unlikelyWords(model, readme, { threshold: 1e-4, max: 20 });
 *
 * Definitions (shared with replacements.ts):
 * - A word is a word of the BERT pre-tokenizer (punctuation marks are words of their own).
 *   Words holding a reserved token (`[UNK]`, `[MASK]`, …) are not scored; `scanDocument`
 *   also leaves out the words of URLs and e-mail addresses (they stay in the context).
 * - P(word) is the left-to-right pseudo-likelihood of its pieces: all of its pieces masked,
 *   P(piece 1) read, piece 1 written back, P(piece 2) read, and so on; the product. For a
 *   one-piece word that is exactly fill-mask's probability with the word replaced by [MASK].
 *   Surprisal is −log2 P(word) in bits. `rank` (one-piece words only) is the word's rank among
 *   the whole-word candidates of replacements.ts (words; punctuation too for punctuation).
 * - `wordProbabilities` masks one word per sequence: n words of p pieces cost Σp sequences,
 *   batched `batchSize` to a run. `scanDocument` masks every k-th word of a window at once
 *   (`maskEvery: k`, k passes per window), so about k sequences per window instead of one per
 *   word (2,000 words of WikiText: 2,376 → 536 sequences at k = 6). The other masked words
 *   hide some context, so the two differ by design. Measured on that text: the random-weight
 *   fixture ignores context almost entirely (mean |Δ ln p| < 0.001); a 300-step pre-trained
 *   2×128 model gave mean |Δ ln p| 0.035 / 0.024 / 0.018 for k = 4 / 6 / 8, Spearman 1.00,
 *   and 46 / 49 / 49 of the 50 least likely words in common. Expect larger gaps from a
 *   well-trained model, whose predictions lean on the neighbours more.
 * - Long texts use windows of `window` tokens (default 128); `scanDocument` scores each
 *   sentence (sentences.ts) within itself (a long one in windows), so its results depend on
 *   the sentence alone and are cached per sentence text and model: an edit re-scores only the
 *   sentences it changed. Cross-sentence context is given up for that.
 */
import { candidateKinds, isPunctuationText, logSumExpOf, scoreToken, tokenKinds, TokenKind } from './probabilities';
import { ReplacementCandidate, suggestForSlots } from './replacements';
import { TextFormat, splitSentences } from './sentences';
import type { BertModel } from './session';
import {
  DEFAULT_WINDOW_TOKENS,
  DocumentTokens,
  MaskedJob,
  Substitution,
  TokenSpan,
  buildWindowInput,
  checkedBatchSize,
  checkedWindow,
  encodeDocument,
  maskedLmMaskId,
  runMaskedJobs,
  scanWindows,
} from './window';

export interface WordScore {
  /** `[start, end)` of the word in the text, UTF-16 code units. */
  range: [number, number];
  text: string;
  /** P(word) as defined above, in (0, 1]. */
  probability: number;
  /** −log2 P(word), bits. */
  surprisal: number;
  /** Word pieces of the word. */
  pieces: number;
  /** Rank among whole-word vocabulary tokens, 1 = most probable; one-piece words only. */
  rank?: number;
  /** True when the word has no letter or digit. */
  punctuation: boolean;
}

export interface WordProbabilitiesOptions {
  /** Window in tokens (`[CLS]`/`[SEP]` included), default 128, at most the model's limit. */
  window?: number;
  /** Sequences per model run, default 32. */
  batchSize?: number;
}

export interface WordProbabilitiesResult {
  /** In textual order. */
  words: WordScore[];
  latencyMs: number;
  /** Model runs and sequences computed (0 when everything came from the cache). */
  runs: number;
  sequences: number;
  /** Scored words per second of wall time. */
  wordsPerSecond: number;
}

export interface ScanOptions extends WordProbabilitiesOptions {
  /** Mask every k-th word of a window together, default 6 (Infinity: one word per sequence). */
  maskEvery?: number;
  /**
   * Sentence ranges `[start, end)` in the text; default: sentences.ts's split (Intl.Segmenter),
   * which in `markdown` format leaves out code blocks, tables and other non-prose.
   */
  sentences?: ReadonlyArray<readonly [number, number]>;
  /** Format for the default sentence split, default 'plain'. */
  format?: TextFormat;
  /** The cache to use, default a shared one; false for none. */
  cache?: SentenceScoreCache | false;
}

export interface ScanResult extends WordProbabilitiesResult {
  sentences: number;
  /** Sentences answered from the cache. */
  cachedSentences: number;
}

export const DEFAULT_MASK_EVERY = 6;
const DEFAULT_BATCH_SIZE = 32;
const LN2 = Math.log(2);

/** Pseudo-log-likelihood of every word of `text`, one masked word per sequence. */
export async function wordProbabilities(
  model: BertModel,
  text: string,
  options: WordProbabilitiesOptions = {},
): Promise<WordProbabilitiesResult> {
  const started = performance.now();
  if (text.trim() === '') throw new Error('The text is empty');
  const doc = await encodeDocument(model.tokenizer, text);
  const { scores, runs, sequences } = await scoreSpans(model, doc, [[0, doc.ids.length]], Infinity, options);
  const words = [...scores.values()].map((s) => s.score);
  return finish(words, started, runs, sequences);
}

/**
 * Every word's probability, sentence by sentence, masking every `maskEvery`-th word together;
 * sentences seen before (same text, model and options) come from the cache.
 */
export async function scanDocument(model: BertModel, text: string, options: ScanOptions = {}): Promise<ScanResult> {
  const { result } = await scanWithSentences(model, text, options);
  return result;
}

/** A word the model finds unlikely, with its best alternatives. */
export interface UnlikelyWord extends WordScore {
  alternatives: ReplacementCandidate[];
}

export interface UnlikelyWordsOptions extends ScanOptions {
  /** Report words with P(word) below this, default 0.001. */
  threshold?: number;
  /** At most this many words (the least probable), default 20. */
  max?: number;
  /** Alternatives per word, default 3. */
  topK?: number;
  /** Also report punctuation, default false. */
  includePunctuation?: boolean;
}

export interface UnlikelyWordsResult {
  /** Least probable first. */
  words: UnlikelyWord[];
  /** Words scored in the scan. */
  scannedWords: number;
  latencyMs: number;
  /** Figures of the scan behind it (its words left out: they can be many). */
  scan: Omit<ScanResult, 'words'>;
}

/**
 * The least probable words of `text` (below `threshold`, at most `max`), each with its top
 * whole-word alternatives in the same sentence context the scan used.
 */
export async function unlikelyWords(
  model: BertModel,
  text: string,
  options: UnlikelyWordsOptions = {},
): Promise<UnlikelyWordsResult> {
  const started = performance.now();
  const threshold = options.threshold ?? 0.001;
  const max = options.max ?? 20;
  if (!(threshold > 0 && threshold <= 1)) throw new Error(`threshold must be in (0, 1], got ${threshold}`);
  if (!Number.isInteger(max) || max < 0) throw new Error(`max must be a non-negative integer, got ${max}`);
  const { result: scan, doc, located } = await scanWithSentences(model, text, options);
  const chosen = located
    .filter(({ score }) => score.probability < threshold && (options.includePunctuation || !score.punctuation))
    .sort((a, b) => a.score.probability - b.score.probability)
    .slice(0, max);
  const suggestions =
    chosen.length === 0
      ? []
      : await suggestForSlots(
          model,
          doc,
          chosen.map(({ first, end, sentence }) => ({ first, end, bounds: sentence })),
          { topK: options.topK ?? 3, window: options.window, batchSize: options.batchSize },
        );
  return {
    words: chosen.map(({ score }, i) => ({ ...score, alternatives: suggestions[i].candidates })),
    scannedWords: scan.words.length,
    latencyMs: performance.now() - started,
    scan: withoutWords(scan),
  };
}

function withoutWords({ words: _words, ...figures }: ScanResult): Omit<ScanResult, 'words'> {
  return figures;
}

/** One cached sentence: its words with ranges relative to the sentence start. */
type CachedSentence = Array<{ first: number; end: number; score: WordScore }>;

/**
 * Scan results per sentence, keyed by model (folder and loaded instance), scan options and
 * sentence text; least recently used sentences are dropped beyond `maxSentences`.
 */
export class SentenceScoreCache {
  private readonly entries = new Map<string, CachedSentence>();
  hits = 0;
  misses = 0;

  constructor(readonly maxSentences = 10_000) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): CachedSentence | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
      this.hits++;
    } else {
      this.misses++;
    }
    return entry;
  }

  set(key: string, value: CachedSentence): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.maxSentences) this.entries.delete(this.entries.keys().next().value as string);
  }

  clear(): void {
    this.entries.clear();
    this.hits = 0;
    this.misses = 0;
  }
}

/** The cache `scanDocument` uses unless told otherwise. */
export const defaultSentenceCache = new SentenceScoreCache();

interface LocatedScore {
  first: number;
  end: number;
  sentence: TokenSpan;
  score: WordScore;
}

async function scanWithSentences(
  model: BertModel,
  text: string,
  options: ScanOptions,
): Promise<{ result: ScanResult; doc: DocumentTokens; located: LocatedScore[] }> {
  const started = performance.now();
  if (text.trim() === '') throw new Error('The text is empty');
  const maskEvery = options.maskEvery ?? DEFAULT_MASK_EVERY;
  if (!(maskEvery === Infinity || (Number.isInteger(maskEvery) && maskEvery >= 2))) {
    throw new Error(`maskEvery must be an integer ≥ 2 or Infinity, got ${maskEvery}`);
  }
  const window = checkedWindow(options.window ?? DEFAULT_WINDOW_TOKENS, model.tokenizer.maxLength);
  const cache = options.cache === false ? undefined : (options.cache ?? defaultSentenceCache);
  const doc = await encodeDocument(model.tokenizer, text);
  const sentenceRanges = options.sentences ?? splitSentences(text, { format: options.format }).sentences.map((s) => s.range);

  // Each sentence's token span (tokens that start inside it).
  const sentences: Array<{ span: TokenSpan; start: number; key: string }> = [];
  let token = 0;
  for (const [rawStart, rawEnd] of [...sentenceRanges].sort((a, b) => a[0] - b[0])) {
    const [start, end] = trimmedRange(text, rawStart, rawEnd);
    if (end <= start) continue;
    while (token < doc.ids.length && doc.offsets[token][0] < start) token++;
    const first = token;
    while (token < doc.ids.length && doc.offsets[token][0] < end) token++;
    if (token === first) continue;
    const key = JSON.stringify([model.folder.dir, modelInstance(model), maskEvery, window, text.slice(start, end)]);
    sentences.push({ span: [first, token], start, key });
  }

  const located: LocatedScore[] = [];
  const toCompute: typeof sentences = [];
  let cachedSentences = 0;
  for (const sentence of sentences) {
    const cached = cache?.get(sentence.key);
    if (!cached) {
      toCompute.push(sentence);
      continue;
    }
    cachedSentences++;
    for (const { first, end, score } of cached) {
      located.push({
        first: first + sentence.span[0],
        end: end + sentence.span[0],
        sentence: sentence.span,
        score: { ...score, range: [score.range[0] + sentence.start, score.range[1] + sentence.start] },
      });
    }
  }
  const { scores, runs, sequences } = await scoreSpans(
    model,
    doc,
    toCompute.map((s) => s.span),
    maskEvery,
    { ...options, window },
  );
  for (const sentence of toCompute) {
    const entry: CachedSentence = [];
    for (let word = doc.tokenWord[sentence.span[0]]; word < doc.words.length && doc.words[word].first < sentence.span[1]; word++) {
      const found = scores.get(word);
      if (!found) continue;
      const { first, end } = doc.words[word];
      located.push({ first, end, sentence: sentence.span, score: found.score });
      entry.push({
        first: first - sentence.span[0],
        end: end - sentence.span[0],
        score: { ...found.score, range: [found.score.range[0] - sentence.start, found.score.range[1] - sentence.start] },
      });
    }
    cache?.set(sentence.key, entry);
  }
  located.sort((a, b) => a.first - b.first);
  const urls = urlRanges(text);
  if (urls.length > 0) {
    const inUrl = ({ score }: LocatedScore) => urls.some(([start, end]) => score.range[0] >= start && score.range[1] <= end);
    located.splice(0, located.length, ...located.filter((l) => !inUrl(l)));
  }
  const base = finish(located.map((l) => l.score), started, runs, sequences);
  return { result: { ...base, sentences: sentences.length, cachedSentences }, doc, located };
}

const instanceIds = new WeakMap<BertModel, number>();
let instanceCount = 0;
/** A number per loaded model instance: a model reloaded from changed files never hits old entries. */
function modelInstance(model: BertModel): number {
  let id = instanceIds.get(model);
  if (id === undefined) instanceIds.set(model, (id = ++instanceCount));
  return id;
}

/** URLs and e-mail addresses: their pieces are not words to judge (they stay as context). */
function urlRanges(text: string): Array<[number, number]> {
  const found: Array<[number, number]> = [];
  for (const match of text.matchAll(/\b(?:[a-z][a-z0-9+.-]*:\/\/|www\.)[^\s<>()[\]]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+/gi)) {
    found.push([match.index!, match.index! + match[0].length]);
  }
  return found;
}

function trimmedRange(text: string, start: number, end: number): [number, number] {
  while (start < end && /\s/.test(text[start])) start++;
  while (end > start && /\s/.test(text[end - 1])) end--;
  return [start, end];
}

function finish(words: WordScore[], started: number, runs: number, sequences: number): WordProbabilitiesResult {
  const latencyMs = performance.now() - started;
  return { words, latencyMs, runs, sequences, wordsPerSecond: words.length / Math.max(latencyMs / 1000, 1e-9) };
}

/**
 * Scores every scorable word whose tokens lie in `spans` (each span a separate context: its
 * windows never look outside it). Words of a window are split into `maskEvery` classes by
 * their index (every k-th word); a class is masked together, one sequence per class and per
 * piece step (step s: pieces < s written back, pieces ≥ s masked, piece s read).
 */
async function scoreSpans(
  model: BertModel,
  doc: DocumentTokens,
  spans: readonly TokenSpan[],
  maskEvery: number,
  options: WordProbabilitiesOptions,
): Promise<{ scores: Map<number, { score: WordScore }>; runs: number; sequences: number }> {
  const tokenizer = model.tokenizer;
  const maskId = maskedLmMaskId(model);
  const window = checkedWindow(options.window ?? DEFAULT_WINDOW_TOKENS, tokenizer.maxLength);
  const batchSize = checkedBatchSize(options.batchSize ?? DEFAULT_BATCH_SIZE);
  const kinds = tokenKinds(tokenizer);

  const logProbability = new Map<number, number>();
  const ranks = new Map<number, number>();
  const jobs: MaskedJob[] = [];
  const jobWords: Array<Array<{ word: number; step: number }>> = [];
  for (const span of spans) {
    for (const { core, window: windowSpan } of scanWindows(doc, span, window)) {
      const members: number[] = [];
      for (let word = doc.tokenWord[core[0]]; word < doc.words.length && doc.words[word].first < core[1]; word++) {
        const { first, end } = doc.words[word];
        if (first < core[0] || end > span[1]) continue; // a word cut by the span's edge is not scored
        let scorable = true;
        for (let t = first; t < end; t++) if (kinds[doc.ids[t]] === TokenKind.Reserved) scorable = false;
        if (scorable) members.push(word);
      }
      const classes = Math.min(maskEvery, members.length);
      for (let c = 0; c < classes; c++) {
        const group = members.filter((_, i) => i % classes === c);
        for (let step = 0; ; step++) {
          const active = group.filter((word) => doc.words[word].end - doc.words[word].first > step);
          if (active.length === 0) break;
          const substitutions: Substitution[] = active.map((word) => {
            const { first, end } = doc.words[word];
            return { start: first, end, ids: [...doc.ids.slice(first, first + step), ...new Array(end - first - step).fill(maskId)] };
          });
          const { input, slotStarts } = buildWindowInput(tokenizer, doc, windowSpan, substitutions);
          jobs.push({ input, positions: slotStarts.map((start) => start + step) });
          jobWords.push(active.map((word) => ({ word, step })));
        }
      }
    }
  }

  const runs = await runMaskedJobs(model, jobs, batchSize, (job, j, row) => {
    const { word, step } = jobWords[job][j];
    const { first, end } = doc.words[word];
    const id = doc.ids[first + step];
    if (step === 0 && end - first === 1) {
      const scored = scoreToken(row, id, kinds, candidateKinds(kinds[id] === TokenKind.Punctuation));
      logProbability.set(word, scored.logProbability);
      ranks.set(word, scored.rank);
    } else {
      logProbability.set(word, (logProbability.get(word) ?? 0) + row[id] - logSumExpOf(row));
    }
  });

  const scores = new Map<number, { score: WordScore }>();
  for (const word of [...logProbability.keys()].sort((a, b) => a - b)) {
    const { first, end, range } = doc.words[word];
    const logP = logProbability.get(word)!;
    const text = doc.text.slice(range[0], range[1]);
    scores.set(word, {
      score: {
        range: [range[0], range[1]],
        text,
        probability: Math.exp(logP),
        surprisal: -logP / LN2,
        pieces: end - first,
        ...(ranks.has(word) ? { rank: ranks.get(word) } : {}),
        punctuation: isPunctuationText(text),
      },
    });
  }
  return { scores, runs, sequences: jobs.length };
}
