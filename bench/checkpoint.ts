/**
 * Benchmark inputs: writes a seeded random BERT checkpoint folder in Hugging Face layout
 * (config.json, model.safetensors, vocab.txt, tokenizer_config.json, tokenizer.json) for a
 * given shape, with bert-base-uncased's vocabulary (test/fixtures/tiny-bert/vocab.txt), and
 * builds fill-mask texts of an exact token length. Nothing here is committed output: the
 * folders go to a temporary directory.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBertConfig } from '../src/model/model-config';
import { randomBertWeights } from '../src/model/onnx/random-bert-weights';
import { writeSafetensors, type TensorToWrite } from '../src/model/safetensors';

export const BENCH_SHAPES = {
  /** BERT-base: 12 × 768, 12 heads, 3072 intermediate, 110M parameters. */
  base: { hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072 },
  /** The tiny test fixture's shape (test/fixtures/tiny-bert): 2 × 32, 2 heads. */
  tiny: { hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 64 },
} as const;

export type BenchShape = keyof typeof BENCH_SHAPES;

/** A Hugging Face tokenizer.json for an uncased BERT WordPiece vocabulary (what transformers.js loads). */
export function bertTokenizerJson(vocab: readonly string[]): unknown {
  const id = (token: string) => vocab.indexOf(token);
  const special = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((content) => ({
    id: id(content),
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: special,
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: Object.fromEntries(['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }])),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
}

/** Writes the checkpoint folder for `shape` and `seed` into `dir` unless it is already there. */
export function writeBenchCheckpoint(dir: string, shape: BenchShape, seed: number, repoRoot: string): void {
  if (existsSync(join(dir, 'model.safetensors'))) return;
  mkdirSync(dir, { recursive: true });
  const vocabPath = join(repoRoot, 'test', 'fixtures', 'tiny-bert', 'vocab.txt');
  const vocab = readFileSync(vocabPath, 'utf8').trimEnd().split('\n');
  const configJson = {
    architectures: ['BertForPreTraining'],
    model_type: 'bert',
    vocab_size: vocab.length,
    ...BENCH_SHAPES[shape],
    hidden_act: 'gelu',
    layer_norm_eps: 1e-12,
    max_position_embeddings: 512,
    type_vocab_size: 2,
    pad_token_id: 0,
  };
  const config = parseBertConfig(configJson, 'bench config');
  // Non-trivial LayerNorm parameters and biases so that outputs differ between tokens.
  const weights = randomBertWeights(config, { seed, std: 0.02, biasStd: 0.02, layerNormStd: 0.1 });
  const tensors = new Map<string, TensorToWrite>();
  for (const [name, tensor] of weights) tensors.set(name, { dims: tensor.dims, data: tensor.data });
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(configJson, null, 2));
  copyFileSync(vocabPath, join(dir, 'vocab.txt'));
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      model_max_length: 512,
      unk_token: '[UNK]',
      sep_token: '[SEP]',
      pad_token: '[PAD]',
      cls_token: '[CLS]',
      mask_token: '[MASK]',
    }),
  );
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(bertTokenizerJson(vocab)));
}

const WORDS = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'a', 'lazy', 'dog', 'and', 'runs', 'into', 'green', 'field'];

/** A text of exactly `tokens` word pieces with [CLS]/[SEP] (single words from the vocabulary), one [MASK] in the middle; `variant` shifts the words. */
export function benchText(tokens: number, variant = 0): string {
  const words: string[] = [];
  for (let i = 0; i < tokens - 2; i++) words.push(WORDS[(i + variant) % WORDS.length]);
  words[Math.floor(words.length / 2)] = '[MASK]';
  return words.join(' ');
}
