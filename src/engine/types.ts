/**
 * Shared engine types: what a tokenized input looks like and what fill-mask returns.
 * Owned by the engine; the protocol re-exports the result shapes for client and server.
 */

/** One encoded input, ready for the ONNX graph. Offsets are UTF-16 code units into the source text. */
export interface EncodedInput {
  /** Token ids, `[CLS] A [SEP]` or `[CLS] A [SEP] B [SEP]`. */
  ids: number[];
  /** Segment ids: 0 for `[CLS]`, A and the first `[SEP]`; 1 for B and its `[SEP]`. */
  typeIds: number[];
  /** 1 for every real token (no padding is added by `encode`). */
  attentionMask: number[];
  /** Token strings as in the vocabulary (`##` marks a continuation piece). */
  tokens: string[];
  /**
   * `[start, end)` in UTF-16 code units of the text the token came from
   * (segment A or B, see `sequenceIds`); `[0, 0]` for special tokens.
   */
  offsets: Array<[number, number]>;
  /** 0 = text A, 1 = text B, null = special token. */
  sequenceIds: Array<0 | 1 | null>;
  /**
   * Index of the word (within its own text A or B) each token belongs to, null for special
   * tokens: the word pieces of one word share it (useful for whole-word masking).
   */
  wordIds: Array<number | null>;
  /** True when the input was cut to the model's maximum length. */
  truncated: boolean;
}

/** One prediction for one masked position. */
export interface TokenPrediction {
  /** The vocabulary token, `##` continuation marker included. */
  token: string;
  /** Vocabulary id. */
  id: number;
  /** Probability under the softmax over the whole vocabulary, in (0, 1]. */
  score: number;
}

/** Predictions for one `[MASK]`, sorted by descending score. */
export interface MaskPredictions {
  /** `[start, end)` of the `[MASK]` in the input text, UTF-16 code units. */
  range: [number, number];
  predictions: TokenPrediction[];
}

export interface FillMaskResult {
  masks: MaskPredictions[];
  /** Wall time of tokenisation + inference + post-processing, ms. */
  latencyMs: number;
  /** True when the text was longer than the model accepts and was cut. */
  truncated: boolean;
}
