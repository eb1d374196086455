/**
 * Where things are in a document's text, without the model: the word under a cursor, and the
 * parts of a Markdown file that are code (fenced blocks, inline code spans, front matter),
 * which hovers and code actions leave alone. Linear scans, safe on very large files.
 */

const WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;
/** CJK ideographs: BERT reads each as a word of its own. */
const IDEOGRAPH = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{2fa1f}]/u;

/**
 * `[start, end)` of the word (letters, digits, marks) at `offset`, or undefined over space or
 * punctuation. `touching`: a cursor right after a word also names it (for carets, not hovers).
 */
export function wordAt(text: string, offset: number, touching = false): [number, number] | undefined {
  const charAt = (i: number): string => {
    const code = text.codePointAt(i);
    return code === undefined ? '' : String.fromCodePoint(code);
  };
  let at = offset;
  if (!isWordChar(charAt(at))) {
    if (!touching) return undefined;
    const before = previousCharStart(text, at);
    if (before === undefined || !isWordChar(charAt(before))) return undefined;
    at = before;
  }
  const here = charAt(at);
  if (IDEOGRAPH.test(here)) return [at, at + here.length];
  let start = at;
  for (let i = previousCharStart(text, start); i !== undefined; i = previousCharStart(text, i)) {
    const c = charAt(i);
    if (!isWordChar(c) || IDEOGRAPH.test(c)) break;
    start = i;
  }
  let end = at;
  while (end < text.length) {
    const c = charAt(end);
    if (!isWordChar(c) || IDEOGRAPH.test(c)) break;
    end += c.length;
  }
  return [start, end];
}

function isWordChar(c: string): boolean {
  return c !== '' && WORD_CHAR.test(c);
}

function previousCharStart(text: string, offset: number): number | undefined {
  if (offset <= 0) return undefined;
  const low = text.charCodeAt(offset - 1);
  if (low >= 0xdc00 && low <= 0xdfff && offset >= 2) {
    const high = text.charCodeAt(offset - 2);
    if (high >= 0xd800 && high <= 0xdbff) return offset - 2;
  }
  return offset - 1;
}

/** Sorted, non-overlapping `[start, end)` ranges of code in a Markdown text. */
export function markdownCodeRanges(text: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let lineStart = 0;
  // Front matter: a first line `---`, up to the next `---` or `...` line.
  const front = /^---[ \t]*\r?\n[\s\S]*?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/y.exec(text);
  if (front) {
    ranges.push([0, front[0].length]);
    lineStart = front[0].length;
  }
  let fence: { char: string; length: number; start: number } | undefined;
  let paragraphStart = lineStart;
  while (lineStart < text.length) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = text.length;
    const line = text.slice(lineStart, lineEnd);
    const fenceMatch = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence) {
      const closing = fenceMatch && fenceMatch[1][0] === fence.char && fenceMatch[1].length >= fence.length && line.trim() === fenceMatch[1];
      if (closing) {
        ranges.push([fence.start, lineEnd]);
        fence = undefined;
        paragraphStart = lineEnd + 1;
      }
    } else if (fenceMatch && !(fenceMatch[1][0] === '`' && line.slice(fenceMatch[0].length).includes('`'))) {
      addInlineCode(text, paragraphStart, lineStart, ranges);
      fence = { char: fenceMatch[1][0], length: fenceMatch[1].length, start: lineStart };
    } else if (line.trim() === '') {
      addInlineCode(text, paragraphStart, lineStart, ranges);
      paragraphStart = lineEnd + 1;
    }
    lineStart = lineEnd + 1;
  }
  if (fence) ranges.push([fence.start, text.length]);
  else addInlineCode(text, paragraphStart, text.length, ranges);
  return ranges.sort((a, b) => a[0] - b[0]);
}

/** Inline code spans of one paragraph `[start, end)`: a backtick run closed by a run of the same length. */
function addInlineCode(text: string, start: number, end: number, ranges: Array<[number, number]>): void {
  if (end <= start) return;
  const paragraph = text.slice(start, end);
  if (!paragraph.includes('`')) return;
  const runs = [...paragraph.matchAll(/`+/g)];
  for (let i = 0; i < runs.length; i++) {
    const open = runs[i];
    const close = runs.findIndex((run, j) => j > i && run[0].length === open[0].length);
    if (close < 0) continue;
    ranges.push([start + open.index!, start + runs[close].index! + runs[close][0].length]);
    i = close;
  }
}

/** True when `offset` lies inside one of the sorted `ranges`. */
export function insideRanges(ranges: ReadonlyArray<readonly [number, number]>, offset: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [start, end] = ranges[mid];
    if (offset < start) hi = mid - 1;
    else if (offset >= end) lo = mid + 1;
    else return true;
  }
  return false;
}
