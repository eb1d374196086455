/**
 * Finds the `[MASK]` under a cursor offset and cuts the text around it that the model should
 * read: the paragraph that holds it, bounded to a window so that the mask stays inside
 * BERT's 512 positions however long the paragraph is.
 */

export const MASK = '[MASK]';

/** Characters kept before / after the mask; ~4 characters per word piece keeps us under 512. */
const WINDOW_BEFORE = 1200;
const WINDOW_AFTER = 600;

export interface MaskContext {
  /** The text to send to fill-mask. */
  text: string;
  /** Offset of `text` in the document. */
  start: number;
  /** Offset of the hovered `[MASK]` in the document (UTF-16). */
  maskStart: number;
}

/** Returns the `[MASK]` (case-sensitive, as BERT's special token) that covers `offset`, if any. */
export function maskAt(documentText: string, offset: number): number | undefined {
  const from = Math.max(0, offset - MASK.length);
  let index = documentText.indexOf(MASK, from);
  while (index !== -1 && index <= offset) {
    if (offset >= index && offset <= index + MASK.length) return index;
    index = documentText.indexOf(MASK, index + 1);
  }
  return undefined;
}

export function maskContext(documentText: string, maskStart: number): MaskContext {
  const { text, start } = spanContext(documentText, maskStart, maskStart + MASK.length);
  return { text, start, maskStart };
}

/** The paragraph around `[spanStart, spanEnd)`, bounded to the same window as for a mask. */
export function spanContext(documentText: string, spanStart: number, spanEnd: number): { text: string; start: number } {
  const paragraphStart = lastBlankLineBefore(documentText, spanStart);
  const paragraphEnd = firstBlankLineAfter(documentText, spanEnd);
  let start = Math.max(paragraphStart, spanStart - WINDOW_BEFORE);
  let end = Math.min(paragraphEnd, spanEnd + WINDOW_AFTER);
  // Do not cut a word or a surrogate pair in half at the window's edges.
  start = snapToWhitespace(documentText, start, paragraphStart, -1);
  end = snapToWhitespace(documentText, end, paragraphEnd, +1);
  return { text: documentText.slice(start, end), start };
}

/** Start of the paragraph holding `offset`: just after the last blank line before it (searched within the window only). */
function lastBlankLineBefore(text: string, offset: number): number {
  const from = Math.max(0, offset - WINDOW_BEFORE - 64);
  const before = text.slice(from, offset);
  let found = -1;
  for (const match of before.matchAll(/\n[ \t]*\n/g)) found = match.index! + match[0].length;
  return found < 0 ? from : from + found;
}

function firstBlankLineAfter(text: string, offset: number): number {
  const rest = text.slice(offset, offset + WINDOW_AFTER + 64);
  const match = rest.match(/\n[ \t]*\n/);
  return match?.index === undefined ? Math.min(text.length, offset + rest.length) : offset + match.index;
}

/**
 * Moves a window edge inwards to the nearest whitespace, at most 32 characters (text without
 * spaces, such as Chinese, is cut anywhere), and never between the halves of a surrogate pair.
 */
function snapToWhitespace(text: string, offset: number, limit: number, direction: -1 | 1): number {
  if (offset === limit) return offset;
  const outside = (i: number) => text[direction < 0 ? i - 1 : i];
  for (let step = 0, i = offset; step < 32; step++, i -= direction) {
    if (/\s/.test(outside(i) ?? ' ')) return i;
  }
  const low = text.charCodeAt(offset);
  return low >= 0xdc00 && low <= 0xdfff ? offset - direction : offset;
}
