/**
 * The coherence task: how likely each sentence is to follow the one before it, by the model's
 * next-sentence head, for every consecutive pair of sentences within each paragraph (and, when
 * asked, across paragraph boundaries), all pairs batched. Sentences come from `splitSentences`
 * (Intl.Segmenter, paragraph and Markdown aware).
 *
 * Example:
 *   const result = await coherence(model, 'It rained. The streets were wet.\n\nNew topic here.', {
 *     acrossParagraphs: true,
 *   });
 *   // result.boundaries = [{ from: 0, to: 1, isNext: 0.97, paragraphBoundary: false, truncated: false },
 *   //                      { from: 1, to: 2, isNext: 0.41, paragraphBoundary: true, truncated: false }]
 *   // result.summary.weakest = result.boundaries[1]
 */
import { nextSentenceProbabilities, assertHasNspHead, type NspBatchOptions } from './nsp';
import type { BertModel } from './session';
import { splitSentences, type Paragraph, type Sentence, type TextFormat } from './sentences';

export interface CoherenceOptions extends NspBatchOptions {
  /** Also score the last sentence of a paragraph against the first of the next. Default false. */
  acrossParagraphs?: boolean;
  /** 'markdown' skips code, front matter and tables and makes headings / list items paragraphs. */
  format?: TextFormat;
  /** Locale for sentence splitting; default: the runtime's. */
  locale?: string;
  /** Read at most this many sentences (default 2,000); the result says where it stopped. */
  maxSentences?: number;
}

export interface CoherenceBoundary {
  /** Index of the earlier sentence; `to` = from + 1. */
  from: number;
  to: number;
  /** P(IsNext) of sentence `to` following sentence `from`, in [0, 1]. */
  isNext: number;
  /** True when the two sentences are in different paragraphs. */
  paragraphBoundary: boolean;
  /** True when the pair was cut to the model's length. */
  truncated: boolean;
}

export interface CoherenceSummary {
  /** Number of boundaries scored. */
  count: number;
  /** Mean / min of `isNext` over the boundaries; null when there are none. */
  mean: number | null;
  min: number | null;
  /** The boundary with the lowest `isNext` (first one on ties); null when there are none. */
  weakest: CoherenceBoundary | null;
}

export interface CoherenceResult {
  sentences: Sentence[];
  paragraphs: Paragraph[];
  boundaries: CoherenceBoundary[];
  summary: CoherenceSummary;
  /** Wall time of splitting + tokenisation + inference, ms. */
  latencyMs: number;
  /** Set when `maxSentences` stopped the reading: the input offset (UTF-16) where it stopped. */
  stoppedAt?: number;
}

export const DEFAULT_MAX_SENTENCES = 2000;

/** Error for texts with fewer than two sentences (nothing to compare). */
export class TooFewSentencesError extends Error {
  constructor(readonly sentenceCount: number) {
    super(`Coherence needs at least two sentences; the text has ${sentenceCount === 0 ? 'none' : 'only one'}`);
  }
}

/** NSP probability at every sentence boundary of `text`. Throws TooFewSentencesError below two sentences. */
export async function coherence(model: BertModel, text: string, options: CoherenceOptions = {}): Promise<CoherenceResult> {
  assertHasNspHead(model);
  const started = performance.now();
  const split = splitSentences(text, {
    format: options.format,
    locale: options.locale,
    maxSentences: options.maxSentences ?? DEFAULT_MAX_SENTENCES,
  });
  const { sentences, paragraphs } = split;
  if (sentences.length < 2) throw new TooFewSentencesError(sentences.length);

  const scored: Array<Omit<CoherenceBoundary, 'isNext' | 'truncated'>> = [];
  for (let from = 0; from + 1 < sentences.length; from++) {
    const paragraphBoundary = sentences[from].paragraph !== sentences[from + 1].paragraph;
    if (!paragraphBoundary || options.acrossParagraphs) scored.push({ from, to: from + 1, paragraphBoundary });
  }
  const results =
    scored.length === 0
      ? []
      : await nextSentenceProbabilities(
          model,
          scored.map(({ from, to }) => [sentences[from].text, sentences[to].text] as const),
          { batchSize: options.batchSize },
        );
  const boundaries = scored.map((boundary, i): CoherenceBoundary => ({ ...boundary, ...results[i] }));
  return {
    sentences,
    paragraphs,
    boundaries,
    summary: summarize(boundaries),
    latencyMs: performance.now() - started,
    ...(split.stoppedAt === undefined ? {} : { stoppedAt: split.stoppedAt }),
  };
}

function summarize(boundaries: readonly CoherenceBoundary[]): CoherenceSummary {
  if (boundaries.length === 0) return { count: 0, mean: null, min: null, weakest: null };
  let weakest = boundaries[0];
  let sum = 0;
  for (const boundary of boundaries) {
    sum += boundary.isNext;
    if (boundary.isNext < weakest.isNext) weakest = boundary;
  }
  return { count: boundaries.length, mean: sum / boundaries.length, min: weakest.isNext, weakest };
}
