// The hand-written comment finder (src/server/comment-ranges.ts): line and block comments per
// language, strings that look like comments, Python docstrings, the comment view (same offsets,
// code and markers blanked) and the client's language list.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { COMMENT_LANGUAGES, commentView, documentLanguages, findComments, hasCommentSyntax } from '../../src/server/comment-ranges';

const contents = (text: string, languageId: string) => findComments(text, languageId).map((c) => text.slice(c.content[0], c.content[1]));

test('C-like languages: // and /* */ comments, not inside strings or template literals', () => {
  const ts = 'const url = "http://example.com"; // a line comment\nlet s = `/* not a comment */`;\n/* a block\n * comment */ x = \'//\';\n';
  assert.deepEqual(contents(ts, 'typescript'), [' a line comment', ' a block\n * comment ']);
  assert.deepEqual(contents('int a = \'"\'; // after a char literal\n', 'c'), [' after a char literal']);
  assert.deepEqual(contents('s := `raw // string`\n// go comment', 'go'), [' go comment']);
});

test("Rust: lifetimes are not strings, char literals are; doc comments' markers are blanked", () => {
  const rust = "fn f<'a>(x: &'a str) -> char { '\"' } // it's fine\n/// Docs here.\n";
  assert.deepEqual(contents(rust, 'rust'), [" it's fine", '/ Docs here.']);
  const view = commentView(rust, findComments(rust, 'rust'));
  assert.equal(view.length, rust.length);
  assert.equal(view.split('\n')[1], '    Docs here.');
});

test('hash, dash and markup comments; shell # only at a word start; a shebang is no comment', () => {
  assert.deepEqual(contents('#!/bin/sh\necho "# no" $# ${#x} # yes\n', 'shellscript'), [' yes']);
  assert.deepEqual(contents("x = '#' # python comment\n", 'python'), [' python comment']);
  assert.deepEqual(contents('SELECT 1; -- sql comment\n/* block */', 'sql'), [' sql comment', ' block ']);
  assert.deepEqual(contents('--[[ long\ncomment ]] x = 1 -- short', 'lua'), [' long\ncomment ', ' short']);
  assert.deepEqual(contents('<p>text</p><!-- html comment -->', 'html'), [' html comment ']);
  assert.deepEqual(contents('// nothing', 'plaintext'), []);
});

test('Python docstrings are comments; other triple-quoted strings are not', () => {
  const py = 'def f():\n    """Return the answer."""\n    s = """not a docstring # at all"""\n    return 42  # the answer\n';
  const found = findComments(py, 'python');
  assert.deepEqual(found.map((c) => c.kind), ['docstring', 'line']);
  assert.deepEqual(contents(py, 'python'), ['Return the answer.', ' the answer']);
});

test('the comment view keeps offsets and line breaks and blanks code and markers', () => {
  const text = '/**\r\n * The cat sat.\r\n */\r\nconst cat = 1; // on the mat\r\n';
  const view = commentView(text, findComments(text, 'typescript'));
  assert.equal(view.length, text.length);
  assert.deepEqual(view.split('\r\n'), ['   ', '   The cat sat.', '   ', '                  on the mat', '']);
});

test('an unterminated block comment or string runs to the end without throwing', () => {
  assert.deepEqual(contents('x /* open', 'c'), [' open']);
  assert.deepEqual(contents('x = "open // still string\n// comment', 'javascript'), [' comment']);
  assert.deepEqual(contents('"""open docstring', 'python'), ['open docstring']);
});

test("the client's languages: the configured ones, plus the code languages when comments are on", () => {
  const prose = ['markdown', 'plaintext'];
  assert.deepEqual(documentLanguages(prose, false), prose);
  const all = documentLanguages(prose, true);
  assert.deepEqual(all.slice(0, 2), prose);
  for (const id of ['typescript', 'javascript', 'python', 'rust', 'go', 'c', 'cpp', 'java', 'shellscript']) {
    assert.ok(all.includes(id), id);
    assert.ok(hasCommentSyntax(id), id);
  }
  assert.equal(new Set(all).size, all.length, 'no duplicates');
  assert.equal(all.length, prose.length + COMMENT_LANGUAGES.length);
  assert.equal(hasCommentSyntax('markdown'), false);
  assert.equal(hasCommentSyntax('toString'), false);
});
