/**
 * Replacement suggestions for selected word(s): every word piece of the selection is masked
 * (whole-word masking) and whole-word candidates are ranked, with the probability and rank of
 * the original. Example:
 *   const r = await suggestReplacements(model, 'The cat sat on the mat.', [4, 7], { topK: 5 });
 *   // r.original = { text: 'cat', probability: 0.012, rank: 31 }, r.candidates = [{ text: 'dog', probability: 0.08 }, ...]
 *
 * Choices (documented for the hover, the Quick Pick and diagnostics):
 * - A selection is widened to whole words (the BERT pre-tokenizer's words: punctuation is a
 *   word of its own); `range` reports the widened range, `expanded` says whether it grew. An
 *   empty range, or one that holds only whitespace, is refused.
 * - Single-piece candidates: the slot becomes one `[MASK]`; candidates are word-initial
 *   vocabulary tokens with a letter or digit (never `##` pieces, `[PAD]`/`[unused…]`-style
 *   reserved tokens, or punctuation — unless the original is punctuation).
 * - Multi-piece candidates (when the original has 2…`maxPieces` pieces): the slot becomes as
 *   many `[MASK]`s as the original has pieces; the `topK` best word-initial first pieces are
 *   each continued left to right with the best `##` piece at every next mask; the candidate's
 *   probability is the product of those conditional probabilities.
 * - The original's probability is the left-to-right pseudo-likelihood of its pieces: all
 *   pieces masked, P(piece 1) read, piece 1 written back, P(piece 2) read, … (the chain rule
 *   in reading order; a single piece is plain fill-mask). Its rank is 1 + the number of
 *   single-piece whole-word candidates (over the whole vocabulary) and multi-piece candidates
 *   found that are more probable. The same definition is used by surprisal.ts.
 * - The model is uncased: candidates take the original's capitalisation (UPPER when the
 *   original has several letters all upper case, Title when its first letter is upper case).
 */
import { candidateKinds, checkedTopK, isPunctuationText, logSumExpOf, scoreToken, tokenKinds, topKIndices, TokenKind } from './probabilities';
import type { BertModel } from './session';
import {
  DEFAULT_WINDOW_TOKENS,
  DocumentTokens,
  MaskedJob,
  TokenSpan,
  buildWindowInput,
  checkedBatchSize,
  checkedWindow,
  encodeDocument,
  maskedLmMaskId,
  regionAround,
  runMaskedJobs,
  windowAround,
} from './window';

export interface ReplacementOptions {
  /** Candidates returned, default 5. */
  topK?: number;
  /** Window around the selection in tokens (`[CLS]`/`[SEP]` included), default 128, at most the model's limit. */
  window?: number;
  /** Inputs per model run, default 16. */
  batchSize?: number;
  /** Longest original (in word pieces) for which multi-piece candidates are searched, default 4. */
  maxPieces?: number;
}

export interface ReplacementCandidate {
  /** The candidate word, in the original's capitalisation. */
  text: string;
  /** Probability of the candidate in the slot (product over its pieces, left to right). */
  probability: number;
}

export interface ReplacementResult {
  original: { text: string; probability: number; rank: number };
  /** Sorted by descending probability; never the original itself. */
  candidates: ReplacementCandidate[];
  /** The range the suggestions replace: the selection widened to whole words, UTF-16 units. */
  range: [number, number];
  /** True when `range` is wider than the selection given. */
  expanded: boolean;
  latencyMs: number;
}

export const DEFAULT_REPLACEMENT_TOP_K = 5;
const DEFAULT_BATCH_SIZE = 16;
const DEFAULT_MAX_PIECES = 4;
/** A selection longer than this is not a word to replace. */
export const MAX_SELECTED_WORDS = 8;
const MAX_SELECTED_PIECES = 32;

/** Suggests whole-word replacements for the word(s) in `range` of `text`. */
export async function suggestReplacements(
  model: BertModel,
  text: string,
  range: readonly [number, number],
  options: ReplacementOptions = {},
): Promise<ReplacementResult> {
  const started = performance.now();
  const [start, end] = range;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > text.length || start > end) {
    throw new RangeError(`The range [${start}, ${end}] is not inside the text (length ${text.length})`);
  }
  if (start === end) throw new Error('The range is empty: select the word(s) to replace');
  const window = checkedWindow(options.window ?? DEFAULT_WINDOW_TOKENS, model.tokenizer.maxLength);
  const doc = await encodeDocument(model.tokenizer, text, undefined, regionAround(text, start, end, window));
  const words = doc.words.filter((w) => w.range[0] < end && w.range[1] > start);
  if (words.length === 0) throw new Error(`The range [${start}, ${end}] holds no word`);
  if (words.length > MAX_SELECTED_WORDS) {
    throw new Error(`The selection has ${words.length} words; select at most ${MAX_SELECTED_WORDS} to replace`);
  }
  const slot = { first: words[0].first, end: words[words.length - 1].end };
  if (slot.end - slot.first > MAX_SELECTED_PIECES) {
    throw new Error(`The selection has ${slot.end - slot.first} word pieces; select at most ${MAX_SELECTED_PIECES}`);
  }
  const [result] = await suggestForSlots(model, doc, [slot], options);
  const widened: [number, number] = [words[0].range[0], words[words.length - 1].range[1]];
  return {
    original: result.original,
    candidates: result.candidates,
    range: widened,
    expanded: widened[0] < start || widened[1] > end,
    latencyMs: performance.now() - started,
  };
}

/** Document tokens `[first, end)` to replace (whole words), scored within `bounds` (default: the whole document). */
export interface ReplacementSlot {
  first: number;
  end: number;
  bounds?: TokenSpan;
}

export interface SlotSuggestions {
  original: { text: string; probability: number; rank: number };
  candidates: ReplacementCandidate[];
}

interface Beam {
  slot: number;
  ids: number[];
  logProbability: number;
}

/**
 * `suggestReplacements` for many slots of one document, batched: one run for every slot's
 * single-mask input and the original's left-to-right steps, then one run per further piece of
 * the multi-piece candidates. Throws when a slot holds a reserved token such as `[MASK]`.
 */
export async function suggestForSlots(
  model: BertModel,
  doc: DocumentTokens,
  slots: readonly ReplacementSlot[],
  options: ReplacementOptions = {},
): Promise<SlotSuggestions[]> {
  const tokenizer = model.tokenizer;
  const maskId = maskedLmMaskId(model);
  const topK = checkedTopK(options.topK ?? DEFAULT_REPLACEMENT_TOP_K, tokenizer.vocabSize);
  const window = checkedWindow(options.window ?? DEFAULT_WINDOW_TOKENS, tokenizer.maxLength);
  const batchSize = checkedBatchSize(options.batchSize ?? DEFAULT_BATCH_SIZE);
  const maxPieces = options.maxPieces ?? DEFAULT_MAX_PIECES;
  const kinds = tokenKinds(tokenizer);

  const states = slots.map((slot) => {
    const ids = doc.ids.slice(slot.first, slot.end);
    const reserved = ids.find((id) => kinds[id] === TokenKind.Reserved);
    const text = doc.text.slice(doc.offsets[slot.first][0], doc.offsets[slot.end - 1][1]);
    if (reserved === tokenizer.specialIds.unk) {
      throw new Error(`"${text}" is not in the model's vocabulary (it reads as ${tokenizer.specialTokens.unk}), so it has no probability`);
    }
    if (reserved !== undefined) {
      throw new Error(`"${text}" holds the special token ${tokenizer.idToToken(reserved)}, which has no probability to compare`);
    }
    const punctuation = isPunctuationText(text);
    const span = windowAround(doc, slot.first, slot.end, window, slot.bounds);
    return {
      slot,
      ids,
      text,
      punctuation,
      span,
      allowed: candidateKinds(punctuation),
      accept: (id: number) => ((candidateKinds(punctuation) >> kinds[id]) & 1) === 1,
      singles: [] as ReplacementCandidate[],
      singleIds: [] as number[],
      singleRow: undefined as Float32Array | undefined,
      originalLogProbability: 0,
      rank: 0,
      finished: [] as Beam[],
    };
  });

  // Run 1: the single-mask input of every slot, and every step of each multi-piece original.
  const jobs: MaskedJob[] = [];
  const jobOf: Array<{ slot: number; step: number | 'single' }> = [];
  states.forEach((state, k) => {
    const { input, slotStarts } = buildWindowInput(tokenizer, doc, state.span, [
      { start: state.slot.first, end: state.slot.end, ids: [maskId] },
    ]);
    jobs.push({ input, positions: [slotStarts[0]] });
    jobOf.push({ slot: k, step: 'single' });
    const n = state.ids.length;
    if (n < 2) return;
    for (let step = 0; step < n; step++) {
      const ids = [...state.ids.slice(0, step), ...new Array(n - step).fill(maskId)];
      const built = buildWindowInput(tokenizer, doc, state.span, [{ start: state.slot.first, end: state.slot.end, ids }]);
      jobs.push({ input: built.input, positions: [built.slotStarts[0] + step] });
      jobOf.push({ slot: k, step });
    }
  });
  let beams: Beam[] = [];
  await runMaskedJobs(model, jobs, batchSize, (job, _j, row) => {
    const { slot: k, step } = jobOf[job];
    const state = states[k];
    const logSumExp = logSumExpOf(row);
    const n = state.ids.length;
    if (step === 'single') {
      const ids = topKIndices(row, topK, (id) => state.accept(id) && !(n === 1 && id === state.ids[0]));
      state.singleIds = ids;
      state.singles = ids.map((id) => ({ text: tokenizer.idToToken(id), probability: Math.exp(row[id] - logSumExp) }));
      if (n === 1) {
        const scored = scoreToken(row, state.ids[0], kinds, state.allowed);
        state.originalLogProbability = scored.logProbability;
        state.rank = scored.rank;
      } else {
        state.singleRow = Float32Array.from(row);
      }
      return;
    }
    state.originalLogProbability += row[state.ids[step]] - logSumExp;
    if (step === 0 && n <= maxPieces && !state.punctuation) {
      for (const id of topKIndices(row, topK, (id) => kinds[id] === TokenKind.Word)) {
        beams.push({ slot: k, ids: [id], logProbability: row[id] - logSumExp });
      }
    }
  });

  // Runs 2…: continue each multi-piece beam with the best `##` piece at the next mask.
  for (let step = 1; beams.length > 0; step++) {
    const open = beams.filter((beam) => beam.ids.length < states[beam.slot].ids.length);
    for (const beam of beams) if (beam.ids.length === states[beam.slot].ids.length) states[beam.slot].finished.push(beam);
    if (open.length === 0) break;
    const stepJobs = open.map((beam): MaskedJob => {
      const state = states[beam.slot];
      const ids = [...beam.ids, ...new Array(state.ids.length - step).fill(maskId)];
      const { input, slotStarts } = buildWindowInput(tokenizer, doc, state.span, [{ start: state.slot.first, end: state.slot.end, ids }]);
      return { input, positions: [slotStarts[0] + step] };
    });
    await runMaskedJobs(model, stepJobs, batchSize, (job, _j, row) => {
      const beam = open[job];
      const [best] = topKIndices(row, 1, (id) => kinds[id] === TokenKind.Continuation);
      beam.ids.push(best);
      beam.logProbability += row[best] - logSumExpOf(row);
    });
    beams = open;
  }

  return states.map((state) => {
    const originalProbability = Math.exp(state.originalLogProbability);
    const originalKey = state.ids.join(' ');
    const multi = state.finished
      .filter((beam) => beam.ids.join(' ') !== originalKey)
      .map((beam) => ({ text: piecesToWord(beam.ids.map((id) => tokenizer.idToToken(id))), probability: Math.exp(beam.logProbability) }));
    let rank = state.rank;
    if (state.ids.length > 1) {
      const row = state.singleRow!;
      const threshold = state.originalLogProbability + logSumExpOf(row);
      let above = 0;
      for (let id = 0; id < row.length; id++) if (state.accept(id) && row[id] > threshold) above++;
      rank = 1 + above + multi.filter((c) => c.probability > originalProbability).length;
    }
    const originalWord = normalisedWord(state.text);
    const seen = new Set<string>([originalWord]);
    const candidates = [...state.singles, ...multi]
      .sort((a, b) => b.probability - a.probability)
      .filter((c) => {
        const key = normalisedWord(c.text);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      })
      .slice(0, topK)
      .map((c) => ({ text: tokenizer.lowercase ? matchCase(c.text, state.text) : c.text, probability: c.probability }));
    return { original: { text: state.text, probability: originalProbability, rank }, candidates };
  });
}

/** Word pieces joined into the word they spell: `##` pieces glue to the previous piece. */
export function piecesToWord(pieces: readonly string[]): string {
  return pieces.map((piece, i) => (piece.startsWith('##') ? piece.slice(2) : i > 0 ? ` ${piece}` : piece)).join('');
}

function normalisedWord(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, '');
}

/**
 * `word` in the capitalisation of `original`: UPPER when the original has two or more letters,
 * all upper case; Title when its first letter is upper case; otherwise unchanged.
 */
export function matchCase(word: string, original: string): string {
  const letters = [...original].filter((c) => /\p{L}/u.test(c));
  if (letters.length === 0) return word;
  const upper = (c: string) => c !== c.toLowerCase() && c === c.toUpperCase();
  if (letters.length > 1 && letters.every(upper)) return word.toUpperCase();
  if (upper(letters[0])) {
    const [first, ...rest] = word;
    return first === undefined ? word : first.toUpperCase() + rest.join('');
  }
  return word;
}
