/**
 * Long texts for masked-LM work: the token sequence of a whole document (no 512-token cut),
 * windows of at most `maxTokens` positions around a target or tiling a span for scanning,
 * model inputs built from a window with some token ranges substituted (masks, candidate
 * pieces), and a batched runner that hands back the MLM logits row of each scored position.
 *
 * Windows are cut at word boundaries and stay inside optional bounds (e.g. one sentence), so a
 * word always sees whole words around it. Example:
 *   const doc = await encodeDocument(model.tokenizer, text);
 *   const [start, end] = windowAround(doc, first, first + 1, 128);
 *   const { input, slotStarts } = buildWindowInput(model.tokenizer, doc, [start, end], [{ start: first, end: first + 1, ids: [maskId] }]);
 */
import { logitRows } from './probabilities';
import type { BertModel } from './session';
import type { BertTokenizer } from './tokenizer';
import type { EncodedInput } from './types';

/** The default window for masked-LM tasks: short for speed (a 128-token run is ~20× cheaper than 512 on BERT-mini). */
export const DEFAULT_WINDOW_TOKENS = 128;
/** The smallest window accepted. */
export const MIN_WINDOW_TOKENS = 16;

/** A whole document as word pieces, without `[CLS]` / `[SEP]`. */
export interface DocumentTokens {
  text: string;
  ids: number[];
  /** `[start, end)` of each token in `text`, UTF-16 code units. */
  offsets: Array<[number, number]>;
  /** Index into `words` of each token. */
  tokenWord: number[];
  /** Words as the BERT pre-tokenizer splits them (whitespace and punctuation): tokens `[first, end)`. */
  words: Array<{ first: number; end: number; range: [number, number] }>;
}

/**
 * Tokenizes `text` without truncation: the text is cut into pieces of at most `chunkChars`
 * characters at whitespace (else after a non-letter, else anywhere), each encoded on its own,
 * and the tokens joined with offsets into `text`. A token covers at least one character, so a
 * chunk never exceeds the tokenizer's limit. Cutting at whitespace changes nothing BERT sees;
 * only a run of `chunkChars` characters without a space or symbol is cut inside a word.
 * With `region`, only `text[region[0], region[1])` is encoded (offsets stay offsets into `text`).
 */
export async function encodeDocument(
  tokenizer: BertTokenizer,
  text: string,
  chunkChars = 400,
  region: readonly [number, number] = [0, text.length],
): Promise<DocumentTokens> {
  const limit = Math.max(1, Math.min(chunkChars, tokenizer.maxLength - 2));
  const chunks: Array<[number, number]> = [];
  for (let start = region[0]; start < region[1]; ) {
    let end = Math.min(region[1], start + limit);
    if (end < region[1]) end = cutPoint(text, start, end);
    chunks.push([start, end]);
    start = end;
  }
  const encoded = await tokenizer.encodeBatch(chunks.map(([start, end]) => text.slice(start, end)));
  const doc: DocumentTokens = { text, ids: [], offsets: [], tokenWord: [], words: [] };
  encoded.forEach((input, c) => {
    const base = chunks[c][0];
    let previousWord: number | null = null;
    input.ids.forEach((id, i) => {
      if (input.sequenceIds[i] === null) return;
      const [start, end] = input.offsets[i];
      const range: [number, number] = [start + base, end + base];
      const word = input.wordIds[i];
      const token = doc.ids.length;
      if (word === null || word !== previousWord || doc.words.length === 0) {
        doc.words.push({ first: token, end: token + 1, range: [range[0], range[1]] });
      } else {
        const last = doc.words[doc.words.length - 1];
        last.end = token + 1;
        last.range[1] = Math.max(last.range[1], range[1]);
      }
      previousWord = word;
      doc.ids.push(id);
      doc.offsets.push(range);
      doc.tokenWord.push(doc.words.length - 1);
    });
  });
  return doc;
}

/**
 * The part of `text` worth encoding for a window of `window` tokens around `[start, end)`:
 * 16 characters per token on each side (a token averages 4–5 characters of prose), cut at
 * whitespace, so that a hover in a 10 MB file does not tokenize the whole file.
 */
export function regionAround(text: string, start: number, end: number, window: number): [number, number] {
  const margin = window * 16;
  let from = Math.max(0, start - margin);
  let to = Math.min(text.length, end + margin);
  if (from > 0) {
    const space = text.slice(from, start).search(/\s/);
    if (space >= 0) from += space + 1;
  }
  if (to < text.length) {
    const tail = text.slice(end, to);
    const space = tail.search(/\s\S*$/);
    if (space >= 0) to = end + space;
  }
  return [from, to];
}

/** Where to end a chunk that would otherwise end at `end`: after the last whitespace, else after a non-letter. */
function cutPoint(text: string, start: number, end: number): number {
  const floor = start + Math.floor((end - start) / 2);
  for (let i = end; i > floor; i--) if (/\s/.test(text[i - 1])) return i;
  for (let i = end; i > floor; i--) if (/[^\p{L}\p{N}\p{M}]/u.test(text[i - 1]) && !isHighSurrogate(text, i - 1)) return i;
  return isHighSurrogate(text, end - 1) ? end - 1 : end;
}

function isHighSurrogate(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  return code >= 0xd800 && code <= 0xdbff;
}

/** Token range `[start, end)` of a document. */
export type TokenSpan = [number, number];

/** Checks a window size against the model's limit and the minimum. */
export function checkedWindow(window: number, maxLength: number): number {
  if (!Number.isInteger(window) || window < MIN_WINDOW_TOKENS) {
    throw new Error(`window must be an integer ≥ ${MIN_WINDOW_TOKENS} tokens, got ${window}`);
  }
  return Math.min(window, maxLength);
}

/**
 * The tokens of a window of at most `maxTokens` positions (`[CLS]` and `[SEP]` included) that
 * holds the target tokens `[first, end)` plus `extra` positions of growth (a substitution
 * longer than what it replaces), as centred as the `bounds` allow, and cut at word boundaries.
 * A target that does not fit gets a window of just itself.
 */
export function windowAround(
  doc: DocumentTokens,
  first: number,
  end: number,
  maxTokens: number,
  bounds: TokenSpan = [0, doc.ids.length],
  extra = 0,
): TokenSpan {
  const [lo, hi] = bounds;
  if (first < lo || end > hi || first >= end) throw new RangeError(`Target tokens [${first}, ${end}) are not inside [${lo}, ${hi})`);
  // A target longer than the window (a 100-character word in a small window) widens it.
  const budget = Math.max(0, maxTokens - 2 - extra - (end - first));
  let left = Math.min(first - lo, Math.floor(budget / 2));
  const right = Math.min(hi - end, budget - left);
  left = Math.min(first - lo, budget - right);
  let start = first - left;
  let stop = end + right;
  while (start < first && start > lo && doc.tokenWord[start] === doc.tokenWord[start - 1]) start++;
  while (stop > end && stop < hi && doc.tokenWord[stop] === doc.tokenWord[stop - 1]) stop--;
  return [start, stop];
}

/** A window used for scanning: the words whose tokens lie in `core` are scored in `window`. */
export interface ScanWindow {
  core: TokenSpan;
  window: TokenSpan;
}

/**
 * Tiles `span` with cores of about half a window, each inside a window of at most `maxTokens`
 * positions that adds context on both sides; a span that fits one window is its own core.
 * Cores end at word boundaries and never split a word.
 */
export function scanWindows(doc: DocumentTokens, span: TokenSpan, maxTokens: number): ScanWindow[] {
  const [from, to] = span;
  if (to <= from) return [];
  if (to - from <= maxTokens - 2) return [{ core: [from, to], window: [from, to] }];
  const coreSize = Math.max(1, Math.floor((maxTokens - 2) / 2));
  const windows: ScanWindow[] = [];
  let start = from;
  while (start < to) {
    let stop = start;
    while (stop < to) {
      const word = doc.words[doc.tokenWord[stop]];
      const wordEnd = Math.min(word.end, to);
      if (stop > start && wordEnd - start > coreSize) break;
      stop = wordEnd;
    }
    windows.push({ core: [start, stop], window: windowAround(doc, start, stop, maxTokens, span) });
    start = stop;
  }
  return windows;
}

/** Replace document tokens `[start, end)` by `ids` in a built input. */
export interface Substitution {
  start: number;
  end: number;
  ids: readonly number[];
}

/**
 * `[CLS] window [SEP]` as a model input, with the substitutions (sorted, non-overlapping,
 * inside the window) applied; `slotStarts[i]` is where substitution i's first id landed.
 * `baseIds` replaces the document's ids (e.g. with earlier fills written in).
 */
export function buildWindowInput(
  tokenizer: BertTokenizer,
  doc: DocumentTokens,
  window: TokenSpan,
  substitutions: readonly Substitution[] = [],
  baseIds: readonly number[] = doc.ids,
): { input: EncodedInput; slotStarts: number[] } {
  const { cls, sep } = tokenizer.specialIds;
  const ids: number[] = [cls];
  const offsets: Array<[number, number]> = [[0, 0]];
  const wordIds: Array<number | null> = [null];
  const slotStarts: number[] = [];
  let next = 0;
  const copy = (from: number, to: number) => {
    for (let t = from; t < to; t++) {
      ids.push(baseIds[t]);
      offsets.push(doc.offsets[t]);
      wordIds.push(doc.tokenWord[t]);
    }
  };
  let position = window[0];
  for (const substitution of substitutions) {
    if (substitution.start < position || substitution.end > window[1] || substitution.end <= substitution.start) {
      throw new RangeError(`Substitution [${substitution.start}, ${substitution.end}) is outside window [${window[0]}, ${window[1]}) or overlaps another`);
    }
    copy(position, substitution.start);
    slotStarts[next++] = ids.length;
    const range: [number, number] = [doc.offsets[substitution.start][0], doc.offsets[substitution.end - 1][1]];
    for (const id of substitution.ids) {
      ids.push(id);
      offsets.push(range);
      wordIds.push(doc.tokenWord[substitution.start]);
    }
    position = substitution.end;
  }
  copy(position, window[1]);
  ids.push(sep);
  offsets.push([0, 0]);
  wordIds.push(null);
  if (ids.length > tokenizer.maxLength) throw new Error(`A window of ${ids.length} tokens exceeds the model's ${tokenizer.maxLength}`);
  const input: EncodedInput = {
    ids,
    typeIds: new Array(ids.length).fill(0),
    attentionMask: new Array(ids.length).fill(1),
    tokens: ids.map((id) => tokenizer.idToToken(id)),
    offsets,
    sequenceIds: wordIds.map((w) => (w === null ? null : 0)),
    wordIds,
    truncated: false,
  };
  return { input, slotStarts };
}

/** One input and the positions whose MLM logits are wanted. */
export interface MaskedJob {
  input: EncodedInput;
  positions: readonly number[];
}

/** The mask token id; throws when the model cannot do masked-LM work. */
export function maskedLmMaskId(model: BertModel): number {
  if (!model.hasOutput('mlm_logits')) {
    throw new Error(`The model in ${model.folder.dir} has no masked-LM head (cls.predictions.*), so masked-word analysis is off for it`);
  }
  const maskId = model.tokenizer.specialIds.mask;
  if (maskId === undefined) throw new Error(`The vocabulary of ${model.folder.dir} has no ${model.tokenizer.specialTokens.mask} token`);
  return maskId;
}

/** Checks a batch size option. */
export function checkedBatchSize(batchSize: number): number {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  return batchSize;
}

/**
 * Runs the jobs in batches of `batchSize` (grouped by length to limit padding) and calls
 * `onRow(job, j, row)` with the vocabulary logits at `jobs[job].positions[j]`; `row` is only
 * valid during the call. Returns the number of model runs. (Running the next batch while
 * reading this one's rows showed no measurable gain on 2 cores and doubles the logits held.)
 */
export async function runMaskedJobs(
  model: BertModel,
  jobs: readonly MaskedJob[],
  batchSize: number,
  onRow: (job: number, j: number, row: Float32Array) => void,
): Promise<number> {
  const order = jobs.map((_, i) => i).sort((a, b) => jobs[a].input.ids.length - jobs[b].input.ids.length);
  let runs = 0;
  for (let first = 0; first < order.length; first += batchSize) {
    const chunk = order.slice(first, first + batchSize);
    const { outputs, numPositions } = await model.run(
      chunk.map((i) => jobs[i].input),
      { outputs: ['mlm_logits'], mlmPositions: chunk.map((i) => jobs[i].positions) },
    );
    runs++;
    const rowOf = logitRows(outputs.mlm_logits, numPositions, model.tokenizer.vocabSize);
    chunk.forEach((job, b) => {
      jobs[job].positions.forEach((_, j) => onRow(job, j, rowOf(b, j)));
    });
  }
  return runs;
}
