/**
 * Tests of fill-mask extras (targets, left-to-right filling, windows), the window logic and
 * replacement suggestions on the tiny-bert fixture. Its weights are random, so only invariants
 * are checked: agreement with the plain softmax / fill-mask, consistency of left-to-right
 * filling, what a candidate may be, capitalisation, ranges and errors.
 */
import { strict as assert } from 'node:assert';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fillMask } from '../../src/engine/fill-mask';
import { fillMaskExtended } from '../../src/engine/fill-mask-extras';
import { TokenKind, expNonPositive, kindOfToken, logSumExpOf, scoreToken, tokenKinds } from '../../src/engine/probabilities';
import { matchCase, piecesToWord, suggestReplacements } from '../../src/engine/replacements';
import { BertModel, disposeAllModels, loadModel } from '../../src/engine/session';
import type { EncodedInput } from '../../src/engine/types';
import { wordProbabilities } from '../../src/engine/surprisal';
import { encodeDocument, scanWindows, windowAround } from '../../src/engine/window';

const FIXTURE_DIR = resolve(__dirname, '../..', 'test', 'fixtures', 'tiny-bert');
const VOCAB_SIZE = 30522;
const MASK_ID = 103;

after(() => disposeAllModels());

let model: BertModel;
before(async () => {
  model = await loadModel(FIXTURE_DIR, { executionProvider: 'cpu' });
});

/** float64 softmax of the logits at `position` of `input`, straight from the session. */
async function softmaxAt(input: EncodedInput, position: number): Promise<number[]> {
  const { outputs } = await model.run([input], { outputs: ['mlm_logits'], mlmPositions: [[position]] });
  const logits = Array.from(outputs.mlm_logits.data, Number);
  const max = Math.max(...logits);
  const sum = logits.reduce((s, x) => s + Math.exp(x - max), 0);
  return logits.map((x) => Math.exp(x - max) / sum);
}

/** `text` (holding `[MASK]`s) encoded, with `writes` (position → id) applied. */
async function encodedWith(text: string, writes: Record<number, number> = {}): Promise<EncodedInput> {
  const input = await model.tokenizer.encode(text);
  const ids = input.ids.slice();
  for (const [position, id] of Object.entries(writes)) ids[Number(position)] = id;
  return { ...input, ids };
}

function wordsText(count: number): string {
  const pool = ['river', 'stone', 'quietly', 'runs', 'the', 'of', 'model', 'green', 'house', 'light'];
  return Array.from({ length: count }, (_, i) => pool[(i * 7 + 3) % pool.length] + (i % 13 === 12 ? '.' : '')).join(' ');
}

const close = (a: number, b: number, relative = 1e-5) => Math.abs(a - b) <= relative * Math.max(Math.abs(a), Math.abs(b)) + 1e-12;

describe('probability helpers', () => {
  test('expNonPositive agrees with Math.exp to 4e-9 relative', () => {
    for (let d = 0; d > -740; d -= 0.37) assert.ok(close(expNonPositive(d), Math.exp(d), 4e-9), `d=${d}`);
    assert.equal(expNonPositive(-800), 0);
    assert.equal(expNonPositive(0), 1);
  });

  test('scoreToken gives the log-softmax entry and the rank among allowed kinds', () => {
    const row = Float32Array.from([3, 1, 3, 2, 5]);
    const kinds = Uint8Array.from([TokenKind.Word, TokenKind.Word, TokenKind.Word, TokenKind.Continuation, TokenKind.Word]);
    const scored = scoreToken(row, 2, kinds, 1 << TokenKind.Word);
    assert.ok(close(scored.logProbability, 3 - logSumExpOf(row), 1e-9));
    assert.equal(scored.rank, 3, 'below 5 and the equal 3 at a lower index; the ## piece does not count');
  });

  test('token kinds: reserved, continuation, word, punctuation', () => {
    assert.equal(kindOfToken('[unused5]'), TokenKind.Reserved);
    assert.equal(kindOfToken('[MASK]'), TokenKind.Reserved);
    assert.equal(kindOfToken('##ing'), TokenKind.Continuation);
    assert.equal(kindOfToken('house'), TokenKind.Word);
    assert.equal(kindOfToken('2'), TokenKind.Word);
    assert.equal(kindOfToken(','), TokenKind.Punctuation);
    assert.equal(kindOfToken('['), TokenKind.Punctuation);
    const kinds = tokenKinds(model.tokenizer);
    assert.equal(kinds.length, VOCAB_SIZE);
    assert.equal(kinds[MASK_ID], TokenKind.Reserved);
  });

  test('matchCase and piecesToWord', () => {
    assert.equal(matchCase('dog', 'Cat'), 'Dog');
    assert.equal(matchCase('dog', 'CAT'), 'DOG');
    assert.equal(matchCase('dog', 'cat'), 'dog');
    assert.equal(matchCase('dog', 'I'), 'Dog');
    assert.equal(matchCase('dog', 'iPhone'), 'dog');
    assert.equal(matchCase('and', ','), 'and');
    assert.equal(piecesToWord(['re', '##thi', '##nk']), 'rethink');
  });
});

describe('windows over long documents', () => {
  test('a short document has the tokens of a plain encoding', async () => {
    const text = 'Café 😀 rethinking, the [MASK] model!';
    const doc = await encodeDocument(model.tokenizer, text);
    const plain = await model.tokenizer.encode(text);
    assert.deepEqual(doc.ids, plain.ids.slice(1, -1));
    assert.deepEqual(doc.offsets, plain.offsets.slice(1, -1));
    for (const word of doc.words) {
      for (let t = word.first; t < word.end; t++) assert.equal(doc.tokenWord[t], word.first === t ? doc.tokenWord[t] : doc.tokenWord[word.first]);
    }
    assert.deepEqual(doc.words.map((w) => text.slice(...w.range)), ['Café', '😀', 'rethinking', ',', 'the', '[MASK]', 'model', '!']);
  });

  test('a 3,000-word document is encoded whole, chunk cuts change nothing', async () => {
    const text = wordsText(3000);
    const doc = await encodeDocument(model.tokenizer, text);
    assert.ok(doc.ids.length > 3000, `${doc.ids.length} tokens`);
    const small = await encodeDocument(model.tokenizer, text, 37);
    assert.deepEqual(small.ids, doc.ids);
    assert.deepEqual(small.offsets, doc.offsets);
    assert.equal(doc.words.length, text.split(/\s+|(?=\.)/).length);
  });

  test('windowAround holds the target, fits the budget, cuts at word boundaries, uses both sides', async () => {
    const text = `${wordsText(1500)} rethinking ${wordsText(1500)}`;
    const doc = await encodeDocument(model.tokenizer, text);
    const word = doc.words.find((w) => text.slice(...w.range) === 'rethinking')!;
    for (const size of [16, 64, 128, 512]) {
      const [start, end] = windowAround(doc, word.first, word.end, size);
      assert.ok(start <= word.first && end >= word.end);
      assert.ok(end - start + 2 <= size, `size ${size}: ${end - start}`);
      assert.ok(end - start + 2 >= size - 8, 'nearly full');
      assert.ok(word.first - start >= (size - 10) / 2 - 4 && end - word.end >= (size - 10) / 2 - 4, 'centred');
      assert.equal(doc.words[doc.tokenWord[start]].first, start, 'starts at a word');
      assert.equal(doc.words[doc.tokenWord[end - 1]].end, end, 'ends at a word');
    }
    const last = doc.words[doc.words.length - 1];
    const [start, end] = windowAround(doc, last.first, last.end, 128);
    assert.equal(end, doc.ids.length);
    assert.ok(end - start >= 120, 'the context moves to the side that has it');
  });

  test('scanWindows tiles a span with cores inside windows', async () => {
    const doc = await encodeDocument(model.tokenizer, wordsText(700));
    const windows = scanWindows(doc, [5, doc.ids.length - 3], 64);
    assert.equal(windows[0].core[0], 5);
    assert.equal(windows[windows.length - 1].core[1], doc.ids.length - 3);
    windows.forEach(({ core, window }, i) => {
      if (i > 0) assert.equal(core[0], windows[i - 1].core[1], 'cores tile the span');
      assert.ok(window[0] <= core[0] && window[1] >= core[1] && window[1] - window[0] <= 62);
      assert.ok(window[0] >= 5 && window[1] <= doc.ids.length - 3, 'inside the span');
    });
    assert.deepEqual(scanWindows(doc, [0, 20], 64), [{ core: [0, 20], window: [0, 20] }]);
  });
});

describe('fillMaskExtended', () => {
  test('on a short text it predicts exactly what fillMask does', async () => {
    const text = 'The capital of France is [MASK], and of Italy [MASK].';
    const plain = await fillMask(model, text, { topK: 5 });
    const extended = await fillMaskExtended(model, text, { topK: 5 });
    assert.equal(extended.windowed, false);
    assert.deepEqual(extended.masks.map((m) => m.range), plain.masks.map((m) => m.range));
    extended.masks.forEach((mask, i) => {
      assert.deepEqual(mask.predictions.map((p) => p.id), plain.masks[i].predictions.map((p) => p.id));
      mask.predictions.forEach((p, k) => assert.ok(close(p.score, plain.masks[i].predictions[k].score)));
    });
  });

  test("a one-piece target's score is its entry of the full softmax; a multi-piece one is the left-to-right product", async () => {
    const text = 'I really [MASK] this [MASK] place.';
    const targets = ['love', 'Paris', 'adore', 'rethinking', 'the'];
    const result = await fillMaskExtended(model, text, { targets });
    const full = await fillMask(model, text, { topK: VOCAB_SIZE });
    for (const [m, mask] of result.masks.entries()) {
      assert.deepEqual(mask.targets!.map((t) => t.target), targets);
      const byId = new Map(full.masks[m].predictions.map((p) => [p.id, p.score]));
      for (const target of mask.targets!) {
        assert.ok(target.score > 0 && target.score <= 1);
        if (target.pieces.length === 1) {
          assert.ok(close(target.score, byId.get(model.tokenizer.tokenToId(target.pieces[0])!)!), target.target);
        }
      }
    }
    // 'adore' = ad ##ore at mask 0: P(ad | two masks) × P(##ore | ad written in).
    const adore = result.masks[0].targets!.find((t) => t.target === 'adore')!;
    assert.deepEqual(adore.pieces, ['ad', '##ore']);
    const twoMasks = 'I really [MASK][MASK] this [MASK] place.';
    const encoded = await encodedWith(twoMasks);
    const first = encoded.ids.indexOf(MASK_ID);
    const ad = model.tokenizer.tokenToId('ad')!;
    const ore = model.tokenizer.tokenToId('##ore')!;
    const p1 = (await softmaxAt(encoded, first))[ad];
    const p2 = (await softmaxAt(await encodedWith(twoMasks, { [first]: ad }), first + 1))[ore];
    assert.ok(close(adore.score, p1 * p2), `${adore.score} vs ${p1 * p2}`);
    await assert.rejects(fillMaskExtended(model, text, { targets: ['  '] }), /Target 1 \(" {2}"\) is empty/);
  });

  test('left to right: mask 1 as independent, mask 2 as if fill 1 had been written in', async () => {
    const text = 'The [MASK] sat on the [MASK] near [MASK] door.';
    const independent = await fillMaskExtended(model, text, { topK: 4 });
    const sequential = await fillMaskExtended(model, text, { topK: 4, leftToRight: true, targets: ['cat'] });
    assert.deepEqual(sequential.masks[0].predictions.map((p) => p.id), independent.masks[0].predictions.map((p) => p.id));
    const fills = sequential.masks.map((m) => m.fill!);
    for (const fill of fills) assert.notEqual(tokenKinds(model.tokenizer)[fill.id], TokenKind.Reserved);

    // Write fill 1 into the ids and predict mask 2 straight from the session.
    const encoded = await encodedWith(text);
    const masks = encoded.ids.flatMap((id, i) => (id === MASK_ID ? [i] : []));
    const probabilities = await softmaxAt(await encodedWith(text, { [masks[0]]: fills[0].id }), masks[1]);
    const expected = probabilities
      .map((score, id) => ({ id, score }))
      .sort((a, b) => b.score - a.score || a.id - b.id)
      .slice(0, 4);
    assert.deepEqual(sequential.masks[1].predictions.map((p) => p.id), expected.map((p) => p.id));
    sequential.masks[1].predictions.forEach((p, k) => assert.ok(close(p.score, expected[k].score)));
    const cat = model.tokenizer.tokenToId('cat')!;
    assert.ok(close(sequential.masks[1].targets![0].score, probabilities[cat]), 'targets are conditioned too');

    // The same through text, when the fill is a whole word that encodes back to itself.
    const fillText = fills[0].token;
    const roundTrip = await model.tokenizer.encode(fillText);
    if (!fillText.startsWith('##') && roundTrip.ids.length === 3 && roundTrip.ids[1] === fills[0].id) {
      const written = text.replace('[MASK]', fillText);
      const again = await fillMask(model, written, { topK: 4 });
      assert.deepEqual(again.masks[0].predictions.map((p) => p.id), sequential.masks[1].predictions.map((p) => p.id));
    }
    assert.equal(sequential.filledText!.includes('[MASK]'), false);
    assert.ok(sequential.filledText!.startsWith(`The ${fills[0].token.replace(/^##/, '')} sat`));
  });

  test('a [MASK] near the end of a 3,000-word text gets predictions from a window around it', async () => {
    const words = wordsText(3000).split(' ');
    words[2990] = '[MASK]';
    const text = words.join(' ');
    const result = await fillMaskExtended(model, text, { topK: 3, targets: ['river'] });
    assert.equal(result.windowed, true);
    assert.equal(result.masks.length, 1);
    assert.equal(text.slice(...result.masks[0].range), '[MASK]');
    assert.equal(result.masks[0].predictions.length, 3);
    // Same as fill-mask on the window's text.
    const doc = await encodeDocument(model.tokenizer, text);
    const maskToken = doc.ids.indexOf(MASK_ID);
    const [start, end] = windowAround(doc, maskToken, maskToken + 1, 128);
    const windowText = text.slice(doc.offsets[start][0], doc.offsets[end - 1][1]);
    const direct = await fillMask(model, windowText, { topK: 3 });
    assert.deepEqual(result.masks[0].predictions.map((p) => p.id), direct.masks[0].predictions.map((p) => p.id));
    const wide = await fillMaskExtended(model, text, { topK: 3, window: 512 });
    assert.equal(wide.masks[0].predictions.length, 3);
    await assert.rejects(fillMaskExtended(model, text, { window: 8 }), /window must be an integer ≥ 16/);
  });

  test('errors: empty text, no [MASK]', async () => {
    await assert.rejects(fillMaskExtended(model, ' '), { message: 'The text is empty' });
    await assert.rejects(fillMaskExtended(model, 'a [mask]'), /No \[MASK\] found in the text \(found "\[mask\]"/);
  });
});

describe('suggestReplacements', () => {
  const sentence = 'The Quick brown fox jumps over the LAZY dog, rethinking it.';
  const rangeOf = (word: string): [number, number] => {
    const at = sentence.indexOf(word);
    return [at, at + word.length];
  };

  test('a one-piece word: probability and rank as fill-mask gives them, candidates are other whole words', async () => {
    const result = await suggestReplacements(model, sentence, rangeOf('fox'), { topK: 8 });
    assert.deepEqual(result.range, rangeOf('fox'));
    assert.equal(result.expanded, false);
    assert.equal(result.original.text, 'fox');
    const masked = sentence.replace('fox', '[MASK]');
    const full = (await fillMask(model, masked, { topK: VOCAB_SIZE })).masks[0].predictions;
    const kinds = tokenKinds(model.tokenizer);
    const fox = model.tokenizer.tokenToId('fox')!;
    const foxScore = full.find((p) => p.id === fox)!.score;
    assert.ok(close(result.original.probability, foxScore));
    const wholeWords = full.filter((p) => kinds[p.id] === TokenKind.Word);
    assert.equal(result.original.rank, wholeWords.findIndex((p) => p.id === fox) + 1);
    const expected = wholeWords.filter((p) => p.id !== fox).slice(0, 8);
    assert.deepEqual(result.candidates.map((c) => c.text), expected.map((p) => p.token));
    result.candidates.forEach((c, i) => assert.ok(close(c.probability, expected[i].score)));
    for (const candidate of result.candidates) {
      assert.ok(!candidate.text.startsWith('##') && !/^\[.*\]$/.test(candidate.text) && /[\p{L}\p{N}]/u.test(candidate.text));
    }
  });

  test('capitalisation of the original is kept: Title and UPPER', async () => {
    const title = await suggestReplacements(model, sentence, rangeOf('Quick'));
    for (const c of title.candidates) assert.equal(c.text[0], c.text[0].toUpperCase(), c.text);
    assert.ok(title.candidates.some((c) => c.text !== c.text.toLowerCase()));
    const upper = await suggestReplacements(model, sentence, rangeOf('LAZY'));
    for (const c of upper.candidates) assert.equal(c.text, c.text.toUpperCase());
    assert.equal(upper.original.text, 'LAZY');
  });

  test('a multi-piece word: left-to-right probability, no original among the candidates, one-word candidates', async () => {
    const result = await suggestReplacements(model, sentence, rangeOf('rethinking'), { topK: 10 });
    assert.equal(result.original.text, 'rethinking');
    // re ##thi ##nk ##ing, scored piece by piece with the earlier pieces written back.
    const pieces = ['re', '##thi', '##nk', '##ing'].map((p) => model.tokenizer.tokenToId(p)!);
    const masked = sentence.replace('rethinking', '[MASK][MASK][MASK][MASK]');
    const first = (await encodedWith(masked)).ids.indexOf(MASK_ID);
    let product = 1;
    const writes: Record<number, number> = {};
    for (let step = 0; step < 4; step++) {
      product *= (await softmaxAt(await encodedWith(masked, writes), first + step))[pieces[step]];
      writes[first + step] = pieces[step];
    }
    assert.ok(close(result.original.probability, product), `${result.original.probability} vs ${product}`);
    assert.ok(result.original.rank >= 1);
    assert.ok(result.candidates.length === 10);
    for (const c of result.candidates) {
      assert.notEqual(c.text.toLowerCase(), 'rethinking');
      assert.ok(!/\s|##|\[/.test(c.text), c.text);
    }
    const sorted = [...result.candidates].sort((a, b) => b.probability - a.probability);
    assert.deepEqual(result.candidates, sorted);
  });

  test("the original's probability is the one surprisal gives the word", async () => {
    const { words } = await wordProbabilities(model, sentence);
    for (const word of ['fox', 'rethinking', ',']) {
      const scored = words.find((w) => w.text === word)!;
      const replacement = await suggestReplacements(model, sentence, rangeOf(word));
      assert.ok(close(replacement.original.probability, scored.probability), word);
      if (scored.rank !== undefined) assert.equal(replacement.original.rank, scored.rank);
    }
  });

  test('punctuation may be replaced by punctuation; words never are', async () => {
    const kinds = tokenKinds(model.tokenizer);
    const comma = await suggestReplacements(model, sentence, rangeOf(','), { topK: 50 });
    const word = await suggestReplacements(model, sentence, rangeOf('dog'), { topK: 50 });
    for (const c of word.candidates) assert.equal(kinds[model.tokenizer.tokenToId(c.text.toLowerCase()) ?? 0], TokenKind.Word, c.text);
    for (const c of comma.candidates) assert.notEqual(c.text, ',');
  });

  test('a selection inside a word widens to the word; several words are replaced together', async () => {
    const inside = await suggestReplacements(model, sentence, [sentence.indexOf('ump'), sentence.indexOf('ump') + 2]);
    assert.deepEqual(inside.range, rangeOf('jumps'));
    assert.equal(inside.expanded, true);
    assert.equal(inside.original.text, 'jumps');
    const two = await suggestReplacements(model, sentence, [sentence.indexOf('brown'), sentence.indexOf('fox') + 3]);
    assert.equal(two.original.text, 'brown fox');
    assert.ok(two.original.probability > 0 && two.original.probability < 1);
    assert.ok(two.candidates.every((c) => !/\s/.test(c.text)));
  });

  test('a word near the end of a 3,000-word text gets suggestions', async () => {
    const text = `${wordsText(2995)} the rethinking model`;
    const at = text.lastIndexOf('rethinking');
    const result = await suggestReplacements(model, text, [at, at + 10], { topK: 3 });
    assert.equal(result.candidates.length, 3);
    assert.equal(result.original.text, 'rethinking');
  });

  test('in a very long text only the region around the selection is read: same result as on a short tail', async () => {
    const head = wordsText(200_000);
    const tail = 'a sentence where the rethinking model stands near the end of a long text, with some words after it.';
    const text = `${head} ${tail}`;
    const at = text.lastIndexOf('rethinking');
    const started = performance.now();
    const long = await suggestReplacements(model, text, [at, at + 10], { topK: 4 });
    const elapsed = performance.now() - started;
    const shortText = text.slice(text.indexOf(' ', text.length - tail.length - 3000) + 1); // the same last ~500 words
    const shortAt = shortText.lastIndexOf('rethinking');
    const short = await suggestReplacements(model, shortText, [shortAt, shortAt + 10], { topK: 4 });
    assert.deepEqual(long.range, [at, at + 10]);
    assert.deepEqual(long.candidates.map((c) => c.text), short.candidates.map((c) => c.text));
    assert.ok(close(long.original.probability, short.original.probability));
    assert.ok(elapsed < 5000, `${elapsed} ms for a ${text.length}-character text`);
  });

  test('errors: empty range, whitespace only, outside the text, special tokens, too many words', async () => {
    await assert.rejects(suggestReplacements(model, sentence, [4, 4]), /The range is empty/);
    await assert.rejects(suggestReplacements(model, 'a   b', [2, 3]), /holds no word/);
    await assert.rejects(suggestReplacements(model, sentence, [-1, 3]), /not inside the text/);
    await assert.rejects(suggestReplacements(model, sentence, [3, 1000]), /not inside the text/);
    await assert.rejects(suggestReplacements(model, 'a [MASK] b', [2, 8]), /special token \[MASK\]/);
    await assert.rejects(suggestReplacements(model, sentence, [0, sentence.length]), /select at most 8/);
  });
});
