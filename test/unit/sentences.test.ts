/**
 * Tests of sentence and paragraph splitting (Intl.Segmenter plus the prose rules of
 * src/engine/sentences.ts): ranges that slice back to the sentence, paragraphs, soft wraps,
 * abbreviations, UTF-16 offsets, Markdown constructs, and the sentence cap.
 */
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { segmentsOf, splitSentences, type SentenceSplit } from '../../src/engine/sentences';

const texts = (split: SentenceSplit) => split.sentences.map((s) => s.text);

/** Every word of each sentence's text appears, in order, in the input slice of its range. */
function assertRangesCover(input: string, split: SentenceSplit): void {
  for (const sentence of split.sentences) {
    const slice = input.slice(...sentence.range);
    assert.equal(slice, slice.trim(), `range of "${sentence.text}" is trimmed`);
    let at = 0;
    for (const word of sentence.text.split(' ')) {
      const found = slice.indexOf(word, at);
      assert.ok(found >= 0, `"${word}" of "${sentence.text}" inside its range "${slice}"`);
      at = found + word.length;
    }
  }
}

describe('plain text', () => {
  test('ranges slice back to the sentence text; paragraphs are blank-line separated blocks', () => {
    const input = 'It rained all night.  The streets were wet!\r\n \r\nA new paragraph starts here? Yes.\n\n\n\nLast one';
    const split = splitSentences(input, { locale: 'en' });
    assert.deepEqual(texts(split), ['It rained all night.', 'The streets were wet!', 'A new paragraph starts here?', 'Yes.', 'Last one']);
    for (const s of split.sentences) assert.equal(input.slice(...s.range), s.text);
    assert.deepEqual(split.sentences.map((s) => s.paragraph), [0, 0, 1, 1, 2]);
    assert.equal(split.paragraphs.length, 3);
    assert.deepEqual(split.paragraphs.map((p) => [p.firstSentence, p.sentenceCount]), [[0, 2], [2, 2], [4, 1]]);
    assert.deepEqual(split.paragraphs[1].range, [split.sentences[2].range[0], split.sentences[3].range[1]]);
    assert.ok(split.paragraphs.every((p) => p.kind === 'text'));
  });

  test('a single line break inside a paragraph is a soft wrap, not a sentence break', () => {
    const input = 'This sentence is\nwrapped over\nthree lines. Then another.';
    const split = splitSentences(input, { locale: 'en' });
    assert.deepEqual(texts(split), ['This sentence is wrapped over three lines.', 'Then another.']);
    assert.equal(input.slice(...split.sentences[0].range).replace(/\s+/g, ' '), split.sentences[0].text);
  });

  test('empty, whitespace-only and punctuation-only input gives no sentences', () => {
    for (const input of ['', '   ', '\n\n\t\n', '...  !!! \n\n —']) {
      const split = splitSentences(input, { locale: 'en' });
      assert.equal(split.sentences.length, 0, JSON.stringify(input));
      assert.equal(split.paragraphs.length, 0);
    }
  });

  test('English title abbreviations do not end a sentence; real sentence ends still do', () => {
    const split = splitSentences('Dr. Smith met Mr. Jones, e.g. at noon. They talked. Prof. Lee left.', { locale: 'en-GB' });
    assert.deepEqual(texts(split), ['Dr. Smith met Mr. Jones, e.g. at noon.', 'They talked.', 'Prof. Lee left.']);
    assert.equal(split.locale, 'en-GB');
  });

  test('offsets are UTF-16 code units, across astral characters', () => {
    const input = '😀 Emoji first. 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 second one. Third.';
    const split = splitSentences(input, { locale: 'en' });
    assert.equal(split.sentences.length, 3);
    for (const s of split.sentences) assert.equal(input.slice(...s.range), s.text);
    assert.equal(split.sentences[2].range[1], input.length);
  });

  test('other scripts follow their own sentence rules', () => {
    const input = '今日は雨です。明日は晴れるでしょう。';
    const split = splitSentences(input, { locale: 'ja' });
    assert.deepEqual(texts(split), ['今日は雨です。', '明日は晴れるでしょう。']);
  });

  test('plain text keeps Markdown characters as text', () => {
    const split = splitSentences('# Not a heading. Still text.', { locale: 'en' });
    assert.equal(split.paragraphs.length, 1);
    assert.equal(split.sentences[0].text, '# Not a heading.');
  });

  test('maxSentences stops the split and says where', () => {
    const input = 'One. Two. Three.\n\nFour. Five.';
    const split = splitSentences(input, { locale: 'en', maxSentences: 3 });
    assert.deepEqual(texts(split), ['One.', 'Two.', 'Three.']);
    assert.equal(split.stoppedAt, input.indexOf('Four'));
    assert.equal(splitSentences(input, { locale: 'en' }).stoppedAt, undefined);
    const mid = splitSentences(input, { locale: 'en', maxSentences: 2 });
    assert.equal(mid.stoppedAt, input.indexOf('Three'));
    assert.deepEqual(mid.paragraphs[0].range, [0, input.indexOf('Two.') + 4]);
    assert.throws(() => splitSentences(input, { maxSentences: 0 }), /maxSentences/);
  });
});

describe('Markdown', () => {
  const md = [
    '---', // 0
    'title: Front matter. Not prose.',
    '---',
    '# The *first* heading #',
    'Body starts **right** under it. See [the docs](https://example.com/a.b) and ![a logo](logo.png) there.',
    'A wrapped',
    'line ends here.',
    '',
    '- First item. Second sentence of it.',
    '- [x] Done item',
    '1. Numbered item.',
    '',
    '```js',
    'const skipped = 1. Nothing here. Is prose.',
    '```',
    '',
    '    indented code. Also skipped.',
    '',
    '> Quoted words. More quoted',
    '> words here.',
    '',
    '| Table | Cells. |',
    '|-------|--------|',
    '| More. | Cells. |',
    '',
    '<!-- a comment. Hidden. -->',
    'Setext heading',
    '==============',
    'Final `code` words.',
  ].join('\n');
  const split = splitSentences(md, { format: 'markdown', locale: 'en' });

  test('prose only, markup removed from what the model reads', () => {
    assert.deepEqual(texts(split), [
      'The first heading',
      'Body starts right under it.',
      'See the docs and there.',
      'A wrapped line ends here.',
      'First item.',
      'Second sentence of it.',
      'Done item',
      'Numbered item.',
      'Quoted words.',
      'More quoted words here.',
      'Setext heading',
      'Final code words.',
    ]);
    assertRangesCover(md, split);
  });

  test('headings and list items are paragraphs of their own', () => {
    const kinds = split.sentences.map((s) => split.paragraphs[s.paragraph].kind);
    assert.deepEqual(kinds, ['heading', 'text', 'text', 'text', 'list-item', 'list-item', 'list-item', 'list-item', 'text', 'text', 'heading', 'text']);
    assert.deepEqual(split.sentences.map((s) => s.paragraph), [0, 1, 1, 1, 2, 2, 3, 4, 5, 5, 6, 7]);
  });

  test('an unclosed fence skips the rest of the document', () => {
    const open = splitSentences('Before the fence. Really.\n\n```\nInside. Code.\n\nStill code.', { format: 'markdown', locale: 'en' });
    assert.deepEqual(texts(open), ['Before the fence.', 'Really.']);
  });

  test('an indented paragraph after a list item is its continuation, not code', () => {
    const list = splitSentences('- Item one.\n\n    Continued here. More.\n', { format: 'markdown', locale: 'en' });
    assert.deepEqual(texts(list), ['Item one.', 'Continued here.', 'More.']);
  });

  test('a thematic break separates paragraphs and is not a setext underline after a blank line', () => {
    const broken = splitSentences('First part.\n\n---\nSecond part.', { format: 'markdown', locale: 'en' });
    assert.deepEqual(texts(broken), ['First part.', 'Second part.']);
    assert.notEqual(broken.sentences[0].paragraph, broken.sentences[1].paragraph);
    assert.ok(broken.paragraphs.every((p) => p.kind === 'text'));
  });
});

describe('long paragraphs (segmenter windows)', () => {
  const FRAGMENTS = [
    'The cat sat on the mat.', 'Dr. Smith arrived at 3.14 p.m. and left.', '"Yes." she said.', 'Wait... what?', 'Wow!',
    'The U.S.A. is large.', 'Apples, pears etc. and more.', '这是一个句子。', 'Is it (really) done?', 'It costs $4.50, e.g. for tea.',
    'He wrote: "Stop!" Then he left.', 'Version 2.0.1 is out.', '', 'A line\nwrapped here.', 'No end mark here',
  ];
  /** A deterministic mix of the fragments, `length` characters or a little more. */
  function mixed(length: number, seed: number): string {
    let state = seed;
    const parts: string[] = [];
    let size = 0;
    while (size < length) {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      const part = FRAGMENTS[state % FRAGMENTS.length];
      parts.push(part);
      size += part.length + 1;
    }
    return parts.join(' ');
  }

  test('reading in windows gives the same segments as one call, for any window', () => {
    const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
    const text = mixed(30_000, 7);
    const whole = [...segmenter.segment(text)].map(({ segment, index }) => [index, segment]);
    for (const window of [40, 64, 300, 2_000, 50_000]) {
      const windowed = [...segmentsOf(segmenter, text, window)].map(({ segment, index }) => [index, segment]);
      assert.deepEqual(windowed, whole, `window ${window}`);
    }
    // One sentence longer than the window: the window grows.
    const long = `${'word '.repeat(200)}end. Next one.`;
    assert.deepEqual([...segmentsOf(segmenter, long, 50)].map((s) => s.segment), [...segmenter.segment(long)].map((s) => s.segment));
  });

  test('a 300 KB paragraph without blank lines is split whole (windows keep it fast)', (t) => {
    const text = mixed(300_000, 11);
    const started = performance.now();
    const split = splitSentences(text);
    t.diagnostic(`300 KB paragraph: ${split.sentences.length} sentences in ${(performance.now() - started).toFixed(0)} ms`);
    assert.equal(split.paragraphs.length, 1);
    assert.ok(split.sentences.length > 10_000);
    assert.equal(split.sentences.at(-1)!.range[1], text.trimEnd().length);
  });
});
