/**
 * Comments of code files, for `bertLens.comments.enabled`: where the comments of a document
 * are (line comments `//`, `#`, `--`, `%`, `;`, block comments `/* *\/`, `<!-- -->`, `{- -}`,
 * Lua's `--[[ ]]`, Python docstrings), keyed by VS Code language id, and a "comment view" of
 * the text that the model reads instead of the code: same length and offsets, every character
 * outside comment text blanked to a space (line breaks kept), comment markers and the `*` that
 * leads block comment lines blanked too. Code lines become blank lines, so each comment block
 * is a paragraph of its own.
 *
 * Hand-written on purpose: no small npm library extracts comments per language without a full
 * parser (tree-sitter grammars are native or WASM and megabytes per language; the comment
 * strippers on npm handle one language family, drop the offsets, or both). This scanner knows
 * strings well enough not to read `"http://x"` or `'#'` as comments; it does not know regex
 * literals, nested block comments or heredocs, where it may misplace a comment boundary.
 * Linear in the text's length.
 */
import { type CommentLanguage } from '../protocol/comment-languages';

interface CommentSyntax {
  line?: readonly string[];
  block?: ReadonlyArray<readonly [string, string]>;
  /** String delimiters that end at the line's end (or at an unescaped delimiter). */
  quotes?: readonly string[];
  /** String delimiters that may span lines (template literals, raw strings, triple quotes). */
  multilineQuotes?: readonly string[];
  /** `'` starts a character literal only as `'x'` / `'\n'` (Rust lifetimes are `'a`). */
  charLiterals?: boolean;
  /** A line comment starts only at the start of a word (shell: `$#` and `a#b` are not comments). */
  lineAtWordStart?: boolean;
  /** Triple-quoted strings that open a statement are docstrings (comments); others are strings. */
  docstrings?: boolean;
}

const C_LIKE: CommentSyntax = { line: ['//'], block: [['/*', '*/']], quotes: ['"', "'"] };
const JS_LIKE: CommentSyntax = { ...C_LIKE, multilineQuotes: ['`'] };
const HASH: CommentSyntax = { line: ['#'], quotes: ['"', "'"] };
const SHELL: CommentSyntax = { line: ['#'], quotes: ['"', "'"], lineAtWordStart: true };
const DASH: CommentSyntax = { line: ['--'], quotes: ["'", '"'] };
const MARKUP: CommentSyntax = { block: [['<!--', '-->']] };

/** One syntax per language of COMMENT_LANGUAGES, no more, no less (the type makes sure). */
const SYNTAX: Record<CommentLanguage, CommentSyntax> = {
  typescript: JS_LIKE,
  typescriptreact: JS_LIKE,
  javascript: JS_LIKE,
  javascriptreact: JS_LIKE,
  c: C_LIKE,
  cpp: C_LIKE,
  'cuda-cpp': C_LIKE,
  csharp: C_LIKE,
  java: C_LIKE,
  kotlin: { ...C_LIKE, multilineQuotes: ['"""'] },
  scala: { ...C_LIKE, multilineQuotes: ['"""'] },
  swift: { ...C_LIKE, multilineQuotes: ['"""'] },
  groovy: C_LIKE,
  dart: C_LIKE,
  'objective-c': C_LIKE,
  'objective-cpp': C_LIKE,
  go: { ...C_LIKE, multilineQuotes: ['`'] },
  rust: { line: ['//'], block: [['/*', '*/']], quotes: ['"'], charLiterals: true },
  php: { line: ['//', '#'], block: [['/*', '*/']], quotes: ['"', "'"] },
  jsonc: { line: ['//'], block: [['/*', '*/']], quotes: ['"'] },
  css: { block: [['/*', '*/']], quotes: ['"', "'"] },
  scss: C_LIKE,
  less: C_LIKE,
  python: { line: ['#'], quotes: ['"', "'"], multilineQuotes: ['"""', "'''"], docstrings: true },
  shellscript: SHELL,
  dockerfile: SHELL,
  makefile: { line: ['#'] },
  ruby: HASH,
  perl: HASH,
  r: HASH,
  julia: HASH,
  elixir: HASH,
  coffeescript: HASH,
  yaml: HASH,
  toml: HASH,
  ini: { line: [';', '#'], quotes: ['"'] },
  properties: { line: ['#', '!'] },
  powershell: { line: ['#'], block: [['<#', '#>']], quotes: ['"', "'"] },
  sql: { ...DASH, block: [['/*', '*/']] },
  lua: { ...DASH, block: [['--[[', ']]']] },
  haskell: { line: ['--'], block: [['{-', '-}']], quotes: ['"'] },
  matlab: { line: ['%'], quotes: ['"'] },
  erlang: { line: ['%'], quotes: ['"'] },
  clojure: { line: [';'], quotes: ['"'] },
  lisp: { line: [';'], quotes: ['"'] },
  html: MARKUP,
  xml: MARKUP,
  vue: { ...JS_LIKE, block: [['/*', '*/'], ['<!--', '-->']] },
  svelte: { ...JS_LIKE, block: [['/*', '*/'], ['<!--', '-->']] },
};

export { COMMENT_LANGUAGES, documentLanguages } from '../protocol/comment-languages';

export function hasCommentSyntax(languageId: string): languageId is CommentLanguage {
  return Object.prototype.hasOwnProperty.call(SYNTAX, languageId);
}

export interface CommentRange {
  /** `[start, end)` of the whole comment, markers included. */
  range: [number, number];
  /** `[start, end)` of its text, without the opening and closing markers. */
  content: [number, number];
  kind: 'line' | 'block' | 'docstring';
}

/** The comments of `text` in language `languageId`, in order; [] for a language it does not know. */
export function findComments(text: string, languageId: string): CommentRange[] {
  if (!hasCommentSyntax(languageId)) return [];
  const syntax = SYNTAX[languageId];
  const blocks = [...(syntax.block ?? [])].sort((a, b) => b[0].length - a[0].length);
  const lines = [...(syntax.line ?? [])].sort((a, b) => b.length - a.length);
  const multiline = [...(syntax.multilineQuotes ?? [])].sort((a, b) => b.length - a.length);
  const comments: CommentRange[] = [];
  let i = 0;
  // A shebang line is not a comment.
  if (text.startsWith('#!')) i = lineEnd(text, 0);
  while (i < text.length) {
    const opener = multiline.find((q) => text.startsWith(q, i));
    if (opener !== undefined) {
      const close = closingQuote(text, i + opener.length, opener);
      if (syntax.docstrings && opener.length === 3 && opensStatement(text, i)) {
        const closed = close >= i + 6 && text.startsWith(opener, close - 3);
        comments.push({ range: [i, close], content: [i + 3, closed ? close - 3 : close], kind: 'docstring' });
      }
      i = close;
      continue;
    }
    const block = blocks.find(([open]) => text.startsWith(open, i));
    if (block) {
      const closeAt = text.indexOf(block[1], i + block[0].length);
      const end = closeAt < 0 ? text.length : closeAt + block[1].length;
      comments.push({ range: [i, end], content: [i + block[0].length, closeAt < 0 ? text.length : closeAt], kind: 'block' });
      i = end;
      continue;
    }
    const line = lines.find((open) => text.startsWith(open, i));
    if (line !== undefined && (!syntax.lineAtWordStart || i === 0 || /\s|;/.test(text[i - 1]))) {
      const end = lineEnd(text, i);
      comments.push({ range: [i, end], content: [i + line.length, end], kind: 'line' });
      i = end;
      continue;
    }
    const c = text[i];
    if (c === "'" && syntax.charLiterals) {
      const literal = /'(?:\\[^'\n]{1,10}|[^\\'\n])'/y;
      literal.lastIndex = i;
      i = literal.test(text) ? literal.lastIndex : i + 1;
      continue;
    }
    if (syntax.quotes?.includes(c)) {
      i = closingQuote(text, i + 1, c, true);
      continue;
    }
    i++;
  }
  return comments;
}

/**
 * `text` with everything but comment text replaced by spaces (line breaks kept), so offsets
 * and line numbers are the document's. Markers such as `//`, `///`, `#`, `--`, `/**` and the
 * `*` leading a block comment's lines are blanked too.
 */
export function commentView(text: string, comments: readonly CommentRange[]): string {
  const out: string[] = [];
  let at = 0;
  for (const comment of comments) {
    out.push(blank(text.slice(at, comment.content[0])));
    const [start, end] = comment.content;
    let body = text.slice(start, end);
    if (comment.kind === 'line') {
      // `///`, `//!`, `##`, `---`, `#'`: doc-comment markers right after the opener.
      body = body.replace(/^[/!#*%;'-]+/, (m) => ' '.repeat(m.length));
    } else {
      body = body.replace(/^[*!-]+/, (m) => ' '.repeat(m.length)); // `/**`, `/*!`, `<!---`
      body = body.replace(/(\n[ \t]*)\*+(?!\/)/g, (m, lead: string) => lead + ' '.repeat(m.length - lead.length));
    }
    out.push(body);
    at = end;
  }
  out.push(blank(text.slice(at)));
  return out.join('');
}

/** Sorted `[start, end)` ranges of comment text (what `commentView` keeps). */
export function commentContentRanges(comments: readonly CommentRange[]): Array<[number, number]> {
  return comments.map((c) => [c.content[0], c.content[1]]);
}

function blank(s: string): string {
  return s.replace(/[^\r\n]/g, ' ');
}

function lineEnd(text: string, from: number): number {
  const newline = text.indexOf('\n', from);
  const end = newline < 0 ? text.length : newline;
  return end > from && text[end - 1] === '\r' ? end - 1 : end;
}

/** Offset just after the string closed by `quote` from `from` on; single-line strings end at the line's end. */
function closingQuote(text: string, from: number, quote: string, singleLine = false): number {
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (singleLine && c === '\n') return i;
    if (text.startsWith(quote, i)) return i + quote.length;
  }
  return text.length;
}

/** True when only whitespace precedes offset `at` on its line (a docstring is a statement of its own). */
function opensStatement(text: string, at: number): boolean {
  for (let i = at - 1; i >= 0; i--) {
    const c = text[i];
    if (c === '\n') return true;
    if (c !== ' ' && c !== '\t' && c !== '\r') return false;
  }
  return true;
}
