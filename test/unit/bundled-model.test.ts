/**
 * Behavioural tests of the bundled model (models/bert-lens-small): what the pre-trained
 * encoder reliably does through the engine — fill-mask on phrases common in its corpus
 * (State of the Union addresses, Bibles, software documentation), next-sentence prediction on
 * held-out documents, the bundled sentiment head, and a misspelt word ranking low. Skipped,
 * with a message, when the model folder is absent (it is built by scripts/make-bundled-model.mjs).
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { classify } from '../../src/engine/classify';
import { fillMaskBatch } from '../../src/engine/fill-mask';
import { readLinearHead, type LinearHead } from '../../src/engine/linear-head';
import { nextSentenceProbabilities } from '../../src/engine/nsp';
import { disposeAllModels, loadModel, type BertModel } from '../../src/engine/session';
import { wordProbabilities } from '../../src/engine/surprisal';

const ROOT = resolve(__dirname, '../..');
const MODEL_DIR = join(ROOT, 'models', 'bert-lens-small');
const SENTIMENT_HEAD = join(MODEL_DIR, 'heads', 'sentiment.json');
const present = existsSync(join(MODEL_DIR, 'model.onnx'));
const skip = present ? false : `models/bert-lens-small is absent (build it with: node scripts/make-bundled-model.mjs)`;

/**
 * The first two sentences of 20 held-out documents (never trained on; public domain: a State of
 * the Union address, Moby Dick, Jane Austen, the World English Bible), in corpus order.
 */
const HELD_OUT_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ["To the Senate and House of Representatives: As a nation we still continue to enjoy a literally unprecedented prosperity; and it is probable that only reckless speculation and disregard of legitimate business methods on the part of the business world can materially mar this prosperity.",
   "No Congress in our time has done more good work of importance than the present Congress."],
  ["It was quite late in the evening when the little Moss came snugly to anchor, and Queequeg and I went ashore; so we could attend to no business that day, at least none but a supper and a bed.",
   "The landlord of the Spouter-Inn had recommended us to his cousin Hosea Hussey of the Try Pots, whom he asserted to be the proprietor of one of the best kept hotels in all Nantucket, and moreover he had assured us that Cousin Hosea, as he called him, was famous for his chowders."],
  ["Mr. Bennet was among the earliest of those who waited on Mr. Bingley.",
   "He had always intended to visit him, though to the last always assuring his wife that he should not go; and till the evening after the visit was paid she had no knowledge of it."],
  ["About thirty years ago Miss Maria Ward, of Huntingdon, with only seven thousand pounds, had the good luck to captivate Sir Thomas Bertram, of Mansfield Park, in the county of Northampton, and to be thereby raised to the rank of a baronet's lady, with all the comforts and consequences of an handsome house and large income.",
   "All Huntingdon exclaimed on the greatness of the match, and her uncle, the lawyer, himself, allowed her to be at least three thousand pounds short of any equitable claim to it."],
  ["The conference was neither so short nor so conclusive as the lady had designed.",
   "The gentleman was not so easily satisfied."],
  ["Yahweh spoke to Moses, saying, “Speak to the children of Israel, and tell them: ‘When either man or woman shall make a special vow, the vow of a Nazirite, to separate himself to Yahweh, he shall separate himself from wine and strong drink.",
   "He shall drink no vinegar of wine, or vinegar of fermented drink, neither shall he drink any juice of grapes, nor eat fresh grapes or dried."],
  ["Now Joshua was old and well advanced in years.",
   "Yahweh said to him, “You are old and advanced in years, and there remains yet very much land to be possessed."],
  ["Yahweh sent Nathan to David.",
   "He came to him, and said to him, “There were two men in one city: the one rich, and the other poor."],
  ["The sons of Levi: Gershon, Kohath, and Merari.",
   "The sons of Kohath: Amram, Izhar, Hebron, and Uzziel."],
  ["But when Sanballat heard that we were building the wall, he was angry, and was very indignant, and mocked the Jews.",
   "He spoke before his brothers and the army of Samaria, and said, “What are these feeble Jews doing?"],
  ["The proverbs of Solomon.",
   "A wise son makes a glad father; but a foolish son brings grief to his mother."],
  ["When Jeremiah had finished speaking to all the people all the words of Yahweh their God, with which Yahweh their God had sent him to them, even all these words, then Azariah the son of Hoshaiah, Johanan the son of Kareah, and all the proud men spoke, saying to Jeremiah, “You speak falsely.",
   "Yahweh our God has not sent you to say, ‘You shall not go into Egypt to live there;’ but Baruch the son of Neriah has turned you against us, to deliver us into the hand of the Chaldeans, that they may put us to death or carry us away captive to Babylon.”"],
  ["“You also, son of man, take a tile, and lay it before yourself, and portray on it a city, even Jerusalem.",
   "Lay siege against it, build forts against it, and cast up a mound against it."],
  ["Yahweh’s word came again to me, saying, “You, son of man, take up a lamentation over Tyre; and tell Tyre, ‘You who dwell at the entry of the sea, who are the merchant of the peoples to many islands, the Lord Yahweh says:",
   "“You, Tyre, have said, ‘I am perfect in beauty.’"],
  ["Yahweh’s word came again to me, saying, “Son of man, prophesy, and say, ‘The Lord Yahweh says:",
   "“Wail, ‘Alas for the day!’"],
  ["In the fourth year of King Darius, Yahweh’s word came to Zechariah in the fourth day of the ninth month, the month of Chislev.",
   "The people of Bethel sent Sharezer and Regem Melech and their men to entreat Yahweh’s favor, and to speak to the priests of the house of Yahweh of Armies and to the prophets, saying, “Should I weep in the fifth month, separating myself, as I have done these so many years?”"],
  ["And Tobit called his son Tobias, and said to him, “See, my child, that the man which went with you have his wages, and you must give him more.”",
   "And he said to him, “Father, it is no harm to me to give him the half of those things which I have brought; for he has led me for you in safety, and he cured my wife, and brought my money, and likewise cured you.”"],
  ["The children of Israel who lived in Judea heard all that Holofernes the chief captain of Nebuchadnezzar king of the Assyrians had done to the nations, and how he had plundered all their temples and destroyed them utterly.",
   "They were exceedingly afraid at his approach, and were troubled for Jerusalem and for the temple of the Lord their God; because they had newly come up from the captivity, and all the people of Judea were recently gathered together; and the vessels, the altar, and the house were sanctified after being profaned."],
  ["Judas heard of the fame of the Romans, that they are valiant men, and have pleasure in all who join themselves to them, and make friends with all who come to them, and that they are valiant men.",
   "They told him of their wars and exploits which they do among the Gauls, and how they conquered them, and forced them to pay tribute; and what things they did in the land of Spain, that they might take control of the silver and gold mines which were there; and how by their policy and persistence they conquered all the place (and the place was exceedingly far from them), and the kings who came against them from the uttermost part of the earth, until they had defeated them, and struck them severely; and how the rest give them tribute year by year."],
  ["I was small among my brothers, and youngest in my father’s house.",
   "I tended my father’s sheep."],
];

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('bundled model (models/bert-lens-small)', { skip }, () => {
  let model: BertModel;
  before(async () => {
    model = await loadModel(MODEL_DIR, { executionProvider: 'cpu' });
  });
  after(() => disposeAllModels());

  test('reads at most 128 tokens (positions beyond were never trained) and has every output the extension uses', () => {
    assert.equal(model.tokenizer.maxLength, 128);
    for (const output of ['mlm_logits', 'nsp_logits', 'pooled_output', 'sequence_output', 'attentions', 'layer_means'] as const) {
      assert.ok(model.hasOutput(output), `no ${output} output`);
    }
  });

  test('fill-mask: phrases common in its corpus come out first', async () => {
    const cases: Array<[string, string]> = [
      ['The president of the united [MASK].', 'states'],
      ['In the beginning God created the heaven and the [MASK].', 'earth'],
      ['And God said, Let there be [MASK]: and there was light.', 'light'],
      ['This program is free software; you can redistribute it and/or [MASK] it.', 'modify'],
      ['I therefore recommend to the [MASK] the passage of a law.', 'congress'],
      ['This function returns [MASK] on success and -1 on error.', '0'],
    ];
    const results = await fillMaskBatch(model, cases.map(([text]) => text), { topK: 5 });
    cases.forEach(([text, expected], i) => {
      const tokens = results[i].masks[0].predictions.map((p) => p.token);
      assert.equal(tokens[0], expected, `${text} → ${tokens.join(', ')}`);
    });
  });

  test('fill-mask: the right kind of word for a number or a weekday is in the top 5', async () => {
    const [numbers, days] = await fillMaskBatch(model, ['one, two, three, [MASK], five.', 'Monday, Tuesday, [MASK], Thursday, Friday.'], { topK: 5 });
    assert.ok(numbers.masks[0].predictions.some((p) => p.token === 'four'), JSON.stringify(numbers.masks[0].predictions));
    assert.ok(days.masks[0].predictions.some((p) => p.token === 'wednesday'), JSON.stringify(days.masks[0].predictions));
  });

  test('NSP: real next sentences of held-out documents score far above a neighbouring document\'s sentence', async () => {
    const real = await nextSentenceProbabilities(model, HELD_OUT_PAIRS);
    const shuffled = HELD_OUT_PAIRS.map(([a], i) => [a, HELD_OUT_PAIRS[(i + 1) % HELD_OUT_PAIRS.length][1]] as const);
    const random = await nextSentenceProbabilities(model, shuffled);
    const realMean = mean(real.map((r) => r.isNext));
    const randomMean = mean(random.map((r) => r.isNext));
    // The second run (half its random-next segments from the same source) is less sure of real
    // pairs than the first (0.82 against 0.89 on these) but separates them as well.
    assert.ok(realMean > 0.75, `mean P(IsNext) of real pairs ${realMean.toFixed(3)}`);
    assert.ok(realMean - randomMean > 0.25, `real ${realMean.toFixed(3)} vs random ${randomMean.toFixed(3)}`);
  });

  test('a misspelt word is the least likely word of its sentence, far below the correct spelling', async () => {
    const correct = await wordProbabilities(model, 'In the beginning God created the heaven and the earth.');
    const misspelt = await wordProbabilities(model, 'In the beginning God created the heaven and the earht.');
    const last = (words: typeof correct.words) => words.filter((w) => !w.punctuation).at(-1)!;
    assert.equal(last(misspelt.words).text, 'earht');
    assert.ok(last(misspelt.words).probability < 1e-6, `P(earht) = ${last(misspelt.words).probability}`);
    assert.ok(last(correct.words).probability > 0.1, `P(earth) = ${last(correct.words).probability}`);
    const lowest = misspelt.words.reduce((a, b) => (b.probability < a.probability ? b : a));
    assert.equal(lowest.text, 'earht');
  });

  test('the bundled sentiment head tells a glowing review from a scathing one', { skip: existsSync(SENTIMENT_HEAD) ? false : 'no heads/sentiment.json' }, async () => {
    const head: LinearHead = await readLinearHead(SENTIMENT_HEAD);
    assert.deepEqual([...head.labels].sort(), ['negative', 'positive']);
    // In rt-polarity's own style (lower case, spaced punctuation, final period). The head is
    // weak (about 73% cross-validated, see the model card): "an awful , boring film ." is only
    // 63% negative, so only clear cases in the data's style are asserted.
    const texts = ['a wonderful , moving film .', 'a dull , tedious mess .', 'one of the best films of the year , funny and touching .', 'dull and tedious .'];
    const results = await classify(model, texts, head);
    assert.deepEqual(
      results.map((r) => r.labels[0].label),
      ['positive', 'negative', 'positive', 'negative'],
      JSON.stringify(results.map((r) => r.labels)),
    );
  });
});
