/**
 * BERT's WordPiece tokenizer on the `tokenizers` npm package (Hugging Face's Rust tokenizers):
 * BERT normalisation, pre-tokenisation, `[CLS] A [SEP] B [SEP]` post-processing, longest-first
 * truncation to the model's length, and offsets converted to UTF-16 code units (VS Code's unit).
 *
 * Special tokens (`[CLS]`, `[SEP]`, `[PAD]`, `[UNK]`, `[MASK]`) are matched in the raw text
 * before lowercasing, exactly as written: `[MASK]` is the mask token, while `[mask]` is
 * ordinary text (`[`, `mask`, `]`), as in Hugging Face's BertTokenizer and transformers.js.
 */
import {
  type Encoding,
  type TruncationStrategy,
  Tokenizer,
  WordPiece,
  bertNormalizer,
  bertPreTokenizer,
  bertProcessing,
} from 'tokenizers';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  DEFAULT_SPECIAL_TOKENS,
  ModelFolder,
  SpecialTokenNames,
  maxInputTokens,
  readModelFolder,
} from './model-folder';
import type { EncodedInput } from './types';
import { readVocabFile } from './vocab';

export interface BertTokenizerOptions {
  /** Lowercase the text (uncased models). Default true. */
  lowercase?: boolean;
  /** Strip accents (é → e). Default: same as `lowercase`. */
  stripAccents?: boolean;
  /** Put spaces around CJK ideographs so each is its own word. Default true. */
  handleChineseChars?: boolean;
  /** Longest encoding in tokens, specials included. Default 512. */
  maxLength?: number;
  /** Special token strings; BERT's by default. */
  specialTokens?: Partial<SpecialTokenNames>;
}

/** Ids of the special tokens in the vocabulary. `mask` is undefined when the vocabulary has none. */
export interface SpecialTokenIds {
  unk: number;
  cls: number;
  sep: number;
  pad: number;
  mask: number | undefined;
}

/** BERT's position table: 512 tokens, `[CLS]` and `[SEP]` included. */
export const DEFAULT_MAX_LENGTH = 512;

/** Longest word WordPiece splits; longer words become `[UNK]` (BERT's value). */
const MAX_INPUT_CHARS_PER_WORD = 100;

export class BertTokenizer {
  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly vocab: readonly string[],
    readonly specialTokens: Readonly<SpecialTokenNames>,
    readonly specialIds: Readonly<SpecialTokenIds>,
    readonly maxLength: number,
    readonly lowercase: boolean,
  ) {}

  /** A tokenizer for the model folder `dir`, configured from its tokenizer_config.json and config.json. */
  static async fromFolder(dir: string): Promise<BertTokenizer> {
    return BertTokenizer.fromModelFolder(await readModelFolder(dir, { requireOnnx: false }));
  }

  /** A tokenizer for an already validated model folder. */
  static async fromModelFolder(folder: ModelFolder): Promise<BertTokenizer> {
    const settings = folder.tokenizer;
    return BertTokenizer.fromVocabFile(folder.vocabPath, {
      lowercase: settings.lowercase,
      stripAccents: settings.stripAccents,
      handleChineseChars: settings.handleChineseChars,
      maxLength: maxInputTokens(folder),
      specialTokens: settings.specialTokens,
    });
  }

  /** A tokenizer from a WordPiece `vocab.txt` (one token per line, id = line number). */
  static async fromVocabFile(vocabPath: string, options: BertTokenizerOptions = {}): Promise<BertTokenizer> {
    const path = resolve(vocabPath);
    if (!(await stat(path).catch(() => undefined))?.isFile()) throw new Error(`Vocabulary file not found: ${path}`);
    const vocab = await readVocabFile(path);
    const names: SpecialTokenNames = { ...DEFAULT_SPECIAL_TOKENS, ...options.specialTokens };
    const idOf = new Map<string, number>();
    vocab.forEach((token, id) => {
      if (!idOf.has(token)) idOf.set(token, id);
    });
    const required = (name: string): number => {
      const id = idOf.get(name);
      if (id === undefined) throw new Error(`${path} has no ${name} token, which BERT needs`);
      return id;
    };
    const specialIds: SpecialTokenIds = {
      unk: required(names.unk),
      cls: required(names.cls),
      sep: required(names.sep),
      pad: required(names.pad),
      mask: idOf.get(names.mask),
    };
    const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
    if (!Number.isInteger(maxLength) || maxLength < 3) throw new Error(`maxLength must be an integer ≥ 3, got ${maxLength}`);
    const lowercase = options.lowercase ?? true;

    const model = await WordPiece.fromFile(path, {
      unkToken: names.unk,
      continuingSubwordPrefix: '##',
      maxInputCharsPerWord: MAX_INPUT_CHARS_PER_WORD,
    });
    const tokenizer = new Tokenizer(model);
    tokenizer.setNormalizer(
      bertNormalizer({
        cleanText: true,
        handleChineseChars: options.handleChineseChars ?? true,
        stripAccents: options.stripAccents ?? lowercase,
        lowercase,
      }),
    );
    tokenizer.setPreTokenizer(bertPreTokenizer());
    tokenizer.setPostProcessor(bertProcessing([names.sep, specialIds.sep], [names.cls, specialIds.cls]));
    // Special tokens are matched in the raw text before normalisation, so `[MASK]` survives lowercasing.
    const specials = [names.pad, names.unk, names.cls, names.sep];
    if (specialIds.mask !== undefined) specials.push(names.mask);
    tokenizer.addSpecialTokens(specials);
    if (tokenizer.getVocabSize(true) !== vocab.length) {
      throw new Error(`Registering special tokens grew the vocabulary of ${path}; a special token is missing from it`);
    }
    // BERT's truncate_seq_pair: drop tokens from the longer text first. (A string: the typings'
    // const enum has no runtime object.)
    tokenizer.setTruncation(maxLength, { strategy: 'LongestFirst' as TruncationStrategy });
    return new BertTokenizer(tokenizer, vocab, names, specialIds, maxLength, lowercase);
  }

  /** Number of tokens in the vocabulary. */
  get vocabSize(): number {
    return this.vocab.length;
  }

  /** The vocabulary token of `id` (`##` marker included); throws on an id outside the vocabulary. */
  idToToken(id: number): string {
    const token = this.vocab[id];
    if (token === undefined) throw new RangeError(`Token id ${id} is outside the vocabulary (size ${this.vocab.length})`);
    return token;
  }

  /** The id of a vocabulary token, or undefined. */
  tokenToId(token: string): number | undefined {
    return this.tokenizer.tokenToId(token) ?? undefined;
  }

  /**
   * Encodes `[CLS] textA [SEP]`, or `[CLS] textA [SEP] textB [SEP]` with segment ids 0 / 1,
   * cut longest-first to `maxLength` tokens.
   */
  async encode(textA: string, textB?: string): Promise<EncodedInput> {
    const encoding = textB === undefined ? await this.tokenizer.encode(textA) : await this.tokenizer.encode(textA, textB);
    return toEncodedInput(encoding, textA, textB);
  }

  /** Encodes single texts in one native call (parallel in the tokenizer's thread pool). */
  async encodeBatch(texts: readonly string[]): Promise<EncodedInput[]> {
    if (texts.length === 0) return [];
    const encodings = await this.tokenizer.encodeBatch([...texts]);
    return encodings.map((encoding, i) => toEncodedInput(encoding, texts[i]));
  }

  /** Encodes sentence pairs. */
  async encodePairs(pairs: ReadonlyArray<readonly [string, string]>): Promise<EncodedInput[]> {
    return Promise.all(pairs.map(([a, b]) => this.encode(a, b)));
  }
}

function toEncodedInput(encoding: Encoding, textA: string, textB?: string): EncodedInput {
  const sequenceIds = encoding.getSequenceIds().map((s) => (s === 0 || s === 1 ? s : null));
  const texts = [textA, textB];
  const toUtf16 = texts.map((text) => (text === undefined ? undefined : codePointToUtf16(text)));
  const offsets = encoding.getOffsets().map(([start, end], i): [number, number] => {
    const sequence = sequenceIds[i];
    if (sequence === null) return [0, 0];
    const convert = toUtf16[sequence]!;
    return [convert(start), convert(end)];
  });
  includeTrailingMarks(offsets, sequenceIds, texts);
  return {
    ids: encoding.getIds(),
    typeIds: encoding.getTypeIds(),
    attentionMask: encoding.getAttentionMask(),
    tokens: encoding.getTokens(),
    offsets,
    sequenceIds,
    wordIds: encoding.getWordIds().map((w) => (typeof w === 'number' ? w : null)),
    truncated: encoding.getOverflowing().length > 0,
  };
}

const COMBINING_MARKS = /\p{M}+/uy;

/**
 * Accent stripping deletes combining marks, and `tokenizers` then leaves a decomposed accent
 * (e + U+0301) outside the token's range; extend each range over the marks that follow it,
 * up to the next token's start, so that a range covers the whole visible word.
 */
function includeTrailingMarks(
  offsets: Array<[number, number]>,
  sequenceIds: ReadonlyArray<0 | 1 | null>,
  texts: ReadonlyArray<string | undefined>,
): void {
  offsets.forEach((range, i) => {
    const sequence = sequenceIds[i];
    if (sequence === null) return;
    const text = texts[sequence]!;
    COMBINING_MARKS.lastIndex = range[1];
    if (!COMBINING_MARKS.test(text)) return;
    const next = offsets.findIndex((_, j) => j > i && sequenceIds[j] === sequence);
    const limit = next >= 0 ? offsets[next][0] : text.length;
    range[1] = Math.max(range[1], Math.min(COMBINING_MARKS.lastIndex, limit));
  });
}

/**
 * Maps an offset counted in Unicode code points (what `tokenizers` reports) to UTF-16 code units.
 * Identity when the text has no surrogates; a lone surrogate counts as one of each.
 */
export function codePointToUtf16(text: string): (codePointOffset: number) => number {
  if (!/[\uD800-\uDFFF]/.test(text)) return (offset) => offset;
  const units: number[] = [0];
  let unit = 0;
  for (const char of text) {
    unit += char.length;
    units.push(unit);
  }
  return (offset) => units[Math.min(offset, units.length - 1)];
}
