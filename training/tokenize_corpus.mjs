/**
 * Tokenises the corpus (training/data/corpus/{train,heldout}.txt: one sentence per line, blank
 * line between documents) with the same WordPiece tokenizer the extension uses — the
 * `tokenizers` npm package with BERT normalisation (lowercase, strip accents), BERT
 * pre-tokenisation and the bert-base-uncased vocabulary — and writes compact shards.
 *
 *     node training/tokenize_corpus.mjs
 *     node training/tokenize_corpus.mjs --corpus=training/data/corpus --out=training/data/tokens \
 *         --vocab=test/fixtures/tiny-bert/vocab.txt
 *
 * Output per split (train, heldout), all little-endian, gzip-compressed:
 *   <split>.ids.u16.gz        every sentence's token ids, concatenated (uint16; vocab < 65536)
 *   <split>.sentences.u32.gz  end offset (into ids) of each sentence (uint32)
 *   <split>.documents.u32.gz  end offset (into sentences) of each document (uint32)
 *   <split>.sources.u8.gz     source index of each document (uint8), when corpus.py wrote
 *                             <split>.doc_sources.txt
 * index.json with counts, the vocabulary path and its SHA-256, and a copy of vocab.txt (the
 * training side reads the vocabulary from here, so the folder is self-contained).
 * Empty sentences (nothing left after normalisation) are dropped.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const require = createRequire(join(root, 'package.json'));
const { Tokenizer, WordPiece, bertNormalizer, bertPreTokenizer } = require('tokenizers');

const defaults = {
  corpus: join(here, 'data', 'corpus'),
  out: join(here, 'data', 'tokens'),
  vocab: join(root, 'test', 'fixtures', 'tiny-bert', 'vocab.txt'),
  batch: '20000',
  specials: 'false', // true: [UNK], [MASK], ... written in the text are special tokens (as in the extension)
};
const args = { ...defaults };
for (const arg of process.argv.slice(2)) {
  const m = /^--([\w-]+)=(.*)$/.exec(arg);
  if (!m || !(m[1] in defaults)) throw new Error(`unknown argument ${arg}; known: ${Object.keys(defaults).join(', ')}`);
  args[m[1]] = m[2];
}

async function makeTokenizer(vocabPath) {
  const model = await WordPiece.fromFile(vocabPath, {
    unkToken: '[UNK]',
    continuingSubwordPrefix: '##',
    maxInputCharsPerWord: 100,
  });
  const tokenizer = new Tokenizer(model);
  tokenizer.setNormalizer(bertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: true }));
  tokenizer.setPreTokenizer(bertPreTokenizer());
  if (args.specials === 'true') tokenizer.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  return tokenizer;
}

async function tokenizeSplit(tokenizer, split) {
  const text = readFileSync(join(args.corpus, `${split}.txt`), 'utf8');
  const documents = text.split(/\n\s*\n/).map((d) => d.split('\n').filter((s) => s.trim())).filter((d) => d.length);
  const sentences = documents.flat();
  const docEnds = [];
  const idChunks = [];
  const sentenceEnds = new Uint32Array(sentences.length);
  let nIds = 0;
  let nSentences = 0;
  let nUnk = 0;
  const lengths = new Uint32Array(sentences.length);
  const batch = Number(args.batch);
  for (let start = 0; start < sentences.length; start += batch) {
    const encodings = await tokenizer.encodeBatch(sentences.slice(start, start + batch), { addSpecialTokens: false });
    encodings.forEach((e, i) => {
      const ids = e.getIds();
      lengths[start + i] = ids.length;
      const chunk = Uint16Array.from(ids);
      idChunks.push(chunk);
      for (const id of ids) if (id === 100) nUnk++;
    });
    process.stderr.write(`\r${split}: ${Math.min(start + batch, sentences.length)}/${sentences.length} sentences`);
  }
  process.stderr.write('\n');
  // drop empty sentences (and documents left empty), keep document ends and sources consistent
  const sourcesPath = join(args.corpus, `${split}.doc_sources.txt`);
  const docSources = existsSync(sourcesPath)
    ? readFileSync(sourcesPath, 'utf8').split('\n').filter((l) => l.length).map(Number)
    : undefined;
  if (docSources && docSources.length !== documents.length) throw new Error(`${sourcesPath}: ${docSources.length} lines for ${documents.length} documents`);
  const keptSources = [];
  let s = 0;
  documents.forEach((doc, d) => {
    for (let j = 0; j < doc.length; j++, s++) {
      if (lengths[s] === 0) continue;
      nIds += lengths[s];
      sentenceEnds[nSentences++] = nIds;
    }
    if (docEnds.length === 0 || docEnds[docEnds.length - 1] !== nSentences) {
      docEnds.push(nSentences);
      if (docSources) keptSources.push(docSources[d]);
    }
  });
  const ids = new Uint16Array(nIds);
  let offset = 0;
  for (const chunk of idChunks) {
    ids.set(chunk, offset);
    offset += chunk.length;
  }
  const write = (name, array) =>
    writeFileSync(join(args.out, `${split}.${name}.gz`), gzipSync(Buffer.from(array.buffer, array.byteOffset, array.byteLength), { level: 9 }));
  write('ids.u16', ids);
  write('sentences.u32', sentenceEnds.subarray(0, nSentences));
  write('documents.u32', Uint32Array.from(docEnds));
  if (docSources) write('sources.u8', Uint8Array.from(keptSources));
  return { documents: docEnds.length, sentences: nSentences, tokens: nIds, unk: nUnk };
}

mkdirSync(args.out, { recursive: true });
const vocabPath = resolve(args.vocab);
const vocabText = readFileSync(vocabPath, 'utf8');
if (vocabText.split('\n').filter((l) => l.length).length !== 30522) throw new Error(`${vocabPath}: expected 30522 tokens`);
const tokenizer = await makeTokenizer(vocabPath);
const index = {
  vocab: vocabPath,
  vocabSha256: createHash('sha256').update(vocabText).digest('hex'),
  vocabSize: 30522,
  tokenizer: 'tokenizers npm: bertNormalizer(lowercase, stripAccents, cleanText, CJK) + bertPreTokenizer + WordPiece(##, [UNK], 100 chars)',
  splits: {},
};
for (const split of ['heldout', 'train']) {
  const t0 = Date.now();
  index.splits[split] = await tokenizeSplit(tokenizer, split);
  console.log(split, index.splits[split], `${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
copyFileSync(vocabPath, join(args.out, 'vocab.txt'));
writeFileSync(join(args.out, 'index.json'), JSON.stringify(index, null, 1) + '\n');
