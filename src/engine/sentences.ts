/**
 * Sentences and paragraphs of a text, for coherence (NSP) checks. Sentence breaks come from
 * `Intl.Segmenter(locale, { granularity: 'sentence' })` (ICU's rules); this module only decides
 * which stretches of text are prose and where paragraphs begin and end.
 *
 * How the text is read:
 * - Paragraphs are blocks separated by blank lines. Inside a paragraph a single line break is a
 *   soft wrap: it is read as a space, so hard-wrapped prose does not break at every line
 *   (ICU breaks after every line feed).
 * - Every sentence carries its `[start, end)` range in UTF-16 code units of the input (VS Code's
 *   unit); `text` is what the model reads: the prose of that range with markup removed and
 *   whitespace collapsed. Segments with no letter or digit (stray punctuation) are skipped.
 * - English (`locale` `en…`): ICU breaks after title abbreviations ("Dr. Smith" → "Dr." |
 *   "Smith"); ICU's suppression list (`-u-ss-standard`) is not exposed by V8, so a break right
 *   after one of a few unambiguous abbreviations (Mr., Mrs., Ms., Dr., Prof., e.g., i.e., vs.,
 *   cf., Fig., …) is dropped.
 *
 * Markdown (`format: 'markdown'`):
 * - Fenced code blocks (``` or ~~~), indented code blocks (4 spaces or a tab after a blank
 *   line, outside lists), YAML front matter, tables, thematic breaks and lines that are only
 *   HTML tags or comments are skipped: they are not prose.
 * - Headings (ATX `# …` and setext `Title` + `===`/`---`) are paragraphs of their own, without
 *   their `#` markers; so is every list item (its marker and task box `[ ]` removed), since
 *   consecutive items are separate points rather than running prose.
 * - Block-quote markers `>` are removed and the quoted text read like any other.
 * - Inline: link text is kept and link destinations dropped, images and autolinks dropped,
 *   emphasis markers (`*`, `**`, `~~`, `_` at word edges), code backticks and inline HTML tags
 *   removed; the words of inline code stay.
 *
 * Example:
 *   splitSentences('# Title\n\nOne. Two.', { format: 'markdown' })
 *   // sentences: 'Title' (paragraph 0), 'One.' and 'Two.' (paragraph 1)
 */

export type TextFormat = 'plain' | 'markdown';

export interface SentenceSplitOptions {
  /** BCP 47 locale for the sentence rules; default: the runtime's locale. */
  locale?: string;
  /** Default 'plain'. */
  format?: TextFormat;
  /** Stop after this many sentences (for very large inputs); `stoppedAt` says where. */
  maxSentences?: number;
}

export type ParagraphKind = 'text' | 'heading' | 'list-item';

export interface Sentence {
  /** What the model reads: the sentence's prose, markup removed, whitespace collapsed. */
  text: string;
  /** `[start, end)` in UTF-16 code units of the input, trimmed of whitespace and markup. */
  range: [number, number];
  /** Index into `paragraphs`. */
  paragraph: number;
}

export interface Paragraph {
  kind: ParagraphKind;
  /** `[start, end)` of the paragraph's prose in the input. */
  range: [number, number];
  /** Index of its first sentence and number of sentences. */
  firstSentence: number;
  sentenceCount: number;
}

export interface SentenceSplit {
  sentences: Sentence[];
  paragraphs: Paragraph[];
  /** The locale the segmenter resolved to. */
  locale: string;
  /** Set when `maxSentences` stopped the split: the input offset where reading stopped. */
  stoppedAt?: number;
}

/** Splits `text` into sentences grouped by paragraph (see the module comment for the rules). */
export function splitSentences(text: string, options: SentenceSplitOptions = {}): SentenceSplit {
  const maxSentences = options.maxSentences ?? Infinity;
  if (!(maxSentences >= 1)) throw new Error(`maxSentences must be at least 1, got ${maxSentences}`);
  const segmenter = new Intl.Segmenter(options.locale, { granularity: 'sentence' });
  const locale = segmenter.resolvedOptions().locale;
  const mergeAbbreviations = new Intl.Locale(locale).language === 'en';
  const { prose, marked, blocks } = options.format === 'markdown' ? readMarkdown(text) : readPlain(text);

  const split: SentenceSplit = { sentences: [], paragraphs: [], locale };
  for (const block of blocks) {
    const spans = sentenceSpans(segmenter, prose, block.start, block.end, mergeAbbreviations);
    if (spans.length === 0) continue;
    const paragraph: Paragraph = {
      kind: block.kind,
      range: [spans[0][0], spans[spans.length - 1][1]],
      firstSentence: split.sentences.length,
      sentenceCount: 0,
    };
    const paragraphIndex = split.paragraphs.length;
    split.paragraphs.push(paragraph);
    for (const [start, end] of spans) {
      if (split.sentences.length >= maxSentences) {
        split.stoppedAt = start;
        paragraph.range[1] = split.sentences[split.sentences.length - 1].range[1];
        return split;
      }
      const sentenceText = marked.slice(start, end).replaceAll(MARKUP, '').replace(/\s+/g, ' ');
      split.sentences.push({ text: sentenceText, range: [start, end], paragraph: paragraphIndex });
      paragraph.sentenceCount++;
    }
  }
  return split;
}

/** A stretch of `prose` that forms one paragraph: `[start, end)` in input offsets. */
interface Block {
  start: number;
  end: number;
  kind: ParagraphKind;
}

/**
 * The input with everything that is not prose blanked (same length, same offsets): `prose` has
 * spaces there (what the segmenter reads), `marked` has MARKUP (deleted from sentence texts).
 */
interface ProseView {
  prose: string;
  marked: string;
  blocks: Block[];
}

/** Stands for a blanked markup character in `ProseView.marked`. */
const MARKUP = '\u0000';

const HAS_WORD = /[\p{L}\p{N}]/u;
/** Abbreviations after which ICU breaks but a sentence practically never ends (case-sensitive). */
const NON_FINAL_ABBREVIATION = /(?:^|[\s(["'])(?:Mr|Mrs|Ms|Mx|Dr|Prof|Rev|Gen|Capt|Lt|Col|Sgt|Fig|Figs|Eq|vs|cf|approx|e\.g|i\.e)\.$/;

/** Characters of a paragraph handed to the segmenter at once (see segmentsOf). */
export const SEGMENT_WINDOW = 16_384;

/**
 * `segmenter.segment(text)`, read in windows of about `window` characters. V8's Intl.Segmenter
 * slows down far more than linearly on long strings (measured here on one paragraph: 130 KB in
 * 0.1 s, 260 KB in 6.5 s), and a paragraph without blank lines can be that long. In each window
 * every segment but the last is final; the next window starts where that last one began, so no
 * break is decided without the text that follows it. A sentence longer than the window doubles
 * the window until it fits.
 */
export function* segmentsOf(segmenter: Intl.Segmenter, text: string, window = SEGMENT_WINDOW): Generator<{ segment: string; index: number }> {
  let offset = 0;
  let size = window;
  while (offset < text.length) {
    const end = Math.min(text.length, offset + size);
    const pieces = [...segmenter.segment(text.slice(offset, end))];
    if (end < text.length && pieces.length < 2) {
      size *= 2; // one sentence longer than the window
      continue;
    }
    const final = end === text.length ? pieces : pieces.slice(0, -1);
    for (const { segment, index } of final) yield { segment, index: offset + index };
    if (end === text.length) return;
    offset += pieces[pieces.length - 1].index;
    size = window;
  }
}

function sentenceSpans(
  segmenter: Intl.Segmenter,
  prose: string,
  start: number,
  end: number,
  mergeAbbreviations: boolean,
): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  let joinNext = false;
  for (const { segment, index } of segmentsOf(segmenter, prose.slice(start, end))) {
    const lead = segment.length - segment.trimStart().length;
    const body = segment.trim();
    if (body === '') continue;
    const span: [number, number] = [start + index + lead, start + index + lead + body.length];
    if (joinNext && spans.length > 0) spans[spans.length - 1][1] = span[1];
    else spans.push(span);
    joinNext = mergeAbbreviations && NON_FINAL_ABBREVIATION.test(body);
  }
  return spans.filter(([s, e]) => HAS_WORD.test(prose.slice(s, e)));
}

interface Line {
  start: number;
  /** End of the line's content (before its line break). */
  end: number;
}

function linesOf(text: string): Line[] {
  const lines: Line[] = [];
  const breaks = /\r\n|\r|\n/g;
  let start = 0;
  for (let match = breaks.exec(text); match; match = breaks.exec(text)) {
    lines.push({ start, end: match.index });
    start = match.index + match[0].length;
  }
  lines.push({ start, end: text.length });
  return lines;
}

/** Plain text: paragraphs are runs of non-blank lines; line breaks inside them read as spaces. */
function readPlain(text: string): ProseView {
  const blocks: Block[] = [];
  let current: Block | undefined;
  for (const line of linesOf(text)) {
    if (text.slice(line.start, line.end).trim() === '') {
      current = undefined;
    } else if (current) {
      current.end = line.end;
    } else {
      current = { start: line.start, end: line.end, kind: 'text' };
      blocks.push(current);
    }
  }
  const prose = text.replace(/[\r\n]/g, ' ');
  return { prose, marked: prose, blocks };
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const ATX_HEADING = /^( {0,3}#{1,6})(?:[ \t]+|$)/;
const SETEXT_UNDERLINE = /^ {0,3}(?:=+|-+)[ \t]*$/;
const THEMATIC_BREAK = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const LIST_MARKER = /^([ \t]*(?:[-+*]|\d{1,9}[.)]))(?:[ \t]+(?:\[[ xX]\][ \t]+)?|$)/;
const QUOTE_MARKERS = /^(?: {0,3}>[ \t]?)+/;
const TABLE_ROW = /^[ \t]*\|.*\|[ \t]*$|^[ \t]*:?-{3,}:?[ \t]*\|/;
const HTML_ONLY = /^[ \t]*(?:<[^>]*>[ \t]*)+$/;
const INDENTED_CODE = /^(?: {4}|\t)/;

/**
 * Markdown: walks the lines, blanking what is not prose and cutting blocks at headings, list
 * items and skipped constructs (CommonMark's block structure, simplified: no lazy
 * continuations inside quotes, no nested containers beyond quotes around lists).
 */
function readMarkdown(text: string): ProseView {
  const chars = text.split('');
  const blank = (from: number, to: number) => {
    for (let i = from; i < to; i++) if (chars[i] !== '\n' && chars[i] !== '\r') chars[i] = MARKUP;
  };
  const blocks: Block[] = [];
  let current: Block | undefined;
  let previous: Block | undefined;
  let afterBlank = true;
  const close = () => {
    if (current) previous = current;
    current = undefined;
  };
  /** Drops lines that are not prose; they also end a list (no continuation across them). */
  const skip = (from: number, to: number) => {
    blank(from, to);
    close();
    previous = undefined;
  };
  const open = (start: number, end: number, kind: ParagraphKind) => {
    close();
    current = { start, end, kind };
    blocks.push(current);
  };

  const lines = linesOf(text);
  let fence: { char: string; length: number } | undefined;
  let inComment = false;
  let inIndentedCode = false;
  for (let n = 0; n < lines.length; n++) {
    const { end } = lines[n];
    let start = lines[n].start;
    let line = text.slice(start, end);

    // YAML front matter: `---` on the first line up to the next `---` or `...`.
    if (n === 0 && /^---[ \t]*$/.test(line)) {
      const closing = lines.findIndex((l, i) => i > 0 && /^(?:---|\.\.\.)[ \t]*$/.test(text.slice(l.start, l.end)));
      if (closing > 0) {
        blank(0, lines[closing].end);
        n = closing;
        continue;
      }
    }
    if (fence) {
      const closing = new RegExp(`^ {0,3}${fence.char === '`' ? '`' : '~'}{${fence.length},}[ \\t]*$`);
      if (closing.test(line)) fence = undefined;
      blank(start, end);
      continue;
    }
    if (inComment) {
      if (line.includes('-->')) inComment = false;
      blank(start, end);
      continue;
    }

    const quote = QUOTE_MARKERS.exec(line);
    if (quote) {
      blank(start, start + quote[0].length);
      start += quote[0].length;
      line = line.slice(quote[0].length);
    }
    const isBlank = line.trim() === '';
    if (inIndentedCode && (isBlank || INDENTED_CODE.test(line))) {
      blank(start, end);
      continue;
    }
    inIndentedCode = false;
    if (isBlank) {
      close();
      afterBlank = true;
      continue;
    }
    const wasAfterBlank = afterBlank;
    afterBlank = false;

    const fenceOpen = FENCE.exec(line);
    if (fenceOpen) {
      fence = { char: fenceOpen[1][0], length: fenceOpen[1].length };
      skip(start, end);
      continue;
    }
    if (INDENTED_CODE.test(line) && wasAfterBlank && !current && previous?.kind !== 'list-item') {
      inIndentedCode = true;
      blank(start, end);
      continue;
    }
    if (/^[ \t]*<!--/.test(line)) {
      inComment = !line.includes('-->');
      skip(start, end);
      continue;
    }
    if (current?.kind === 'text' && SETEXT_UNDERLINE.test(line)) {
      current.kind = 'heading';
      blank(start, end);
      close();
      continue;
    }
    if (THEMATIC_BREAK.test(line) || TABLE_ROW.test(line) || HTML_ONLY.test(line)) {
      skip(start, end);
      continue;
    }
    const heading = ATX_HEADING.exec(line);
    if (heading) {
      blank(start, start + heading[0].length);
      const closingHashes = /[ \t]+#+[ \t]*$/.exec(line);
      if (closingHashes && closingHashes.index >= heading[0].length) blank(start + closingHashes.index, end);
      open(start, end, 'heading');
      blankInlineMarkup(text, chars, start, end);
      close();
      continue;
    }
    const item = LIST_MARKER.exec(line);
    if (item) {
      blank(start, start + item[0].length);
      open(start, end, 'list-item');
    } else if (current) {
      current.end = end;
    } else {
      open(start, end, 'text');
    }
    blankInlineMarkup(text, chars, start, end);
  }

  // Line breaks inside a block are soft wraps: read them as spaces (same length).
  const marked = chars.join('').replace(/[\r\n]/g, ' ');
  return { prose: marked.replaceAll(MARKUP, ' '), marked, blocks };
}

const INLINE_MARKUP: RegExp[] = [
  /!\[[^\]]*\]\([^)]*\)/g, // images
  /<(?:https?|mailto|ftp):[^>\s]*>/g, // autolinks
  /<\/?[A-Za-z][^>]*>/g, // inline HTML tags
  /\*+|~~|`+/g, // emphasis, strikethrough, code backticks
  /(?<![\p{L}\p{N}])_+|_+(?![\p{L}\p{N}])/gu, // underscore emphasis at word edges
];
const LINK = /\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\[[^\]]*\]/g;

/** Blanks inline markup of one line in `chars`, keeping link text. */
function blankInlineMarkup(text: string, chars: string[], start: number, end: number): void {
  const line = text.slice(start, end);
  const blankMatch = (from: number, to: number) => {
    for (let i = from; i < to; i++) chars[start + i] = MARKUP;
  };
  for (const pattern of INLINE_MARKUP) {
    for (const match of line.matchAll(pattern)) blankMatch(match.index!, match.index! + match[0].length);
  }
  for (const match of line.matchAll(LINK)) {
    const label = match[1] ?? match[2];
    const at = match.index!;
    blankMatch(at, at + 1); // `[`
    blankMatch(at + 1 + label.length, at + match[0].length); // `](dest)` or `][ref]`
  }
}
