/**
 * Model folders: finds and validates the files of a BERT model in Hugging Face layout
 * (config.json, vocab.txt, optional tokenizer_config.json) plus our compiled model.onnx,
 * and reads the settings the engine needs (config.json through src/model's `parseBertConfig`).
 * Every error names the offending path.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseBertConfig, type BertConfig } from '../model/model-config';
import { parseVocabText } from './vocab';

export type { BertConfig };

/** Tokenizer settings from `tokenizer_config.json` (Hugging Face names in comments). */
export interface TokenizerSettings {
  /** `do_lower_case`; true when absent (uncased BERT). */
  lowercase: boolean;
  /** `strip_accents`; follows `lowercase` when absent or null, as in Hugging Face's BertTokenizer. */
  stripAccents: boolean;
  /** `tokenize_chinese_chars`; true when absent. */
  handleChineseChars: boolean;
  /** `model_max_length` when it is a sensible number (some files hold 1e30 for "no limit"). */
  modelMaxLength?: number;
  /** `unk_token`, `cls_token`, `sep_token`, `pad_token`, `mask_token`. */
  specialTokens: SpecialTokenNames;
}

export interface SpecialTokenNames {
  unk: string;
  cls: string;
  sep: string;
  pad: string;
  mask: string;
}

export const DEFAULT_SPECIAL_TOKENS: Readonly<SpecialTokenNames> = Object.freeze({
  unk: '[UNK]',
  cls: '[CLS]',
  sep: '[SEP]',
  pad: '[PAD]',
  mask: '[MASK]',
});

/** A validated model folder; all paths absolute. */
export interface ModelFolder {
  dir: string;
  configPath: string;
  vocabPath: string;
  /** `model.onnx`; checked to exist only when `requireOnnx` was true. */
  onnxPath: string;
  config: BertConfig;
  tokenizer: TokenizerSettings;
  /** Number of lines (tokens) in vocab.txt; at most `config.vocabSize` (more is a padded table). */
  vocabLines: number;
}

export interface ReadModelFolderOptions {
  /** Also require `model.onnx` (default true; the tokenizer alone does not need it). */
  requireOnnx?: boolean;
}

/** An error about a model folder; `path` is the file or folder at fault. */
export class ModelFolderError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'ModelFolderError';
  }
}

/** Reads and validates the model folder `dir`. */
export async function readModelFolder(dir: string, options: ReadModelFolderOptions = {}): Promise<ModelFolder> {
  const absDir = resolve(dir);
  const dirStat = await stat(absDir).catch(() => undefined);
  if (!dirStat) throw new ModelFolderError(`Model folder not found: ${absDir}`, absDir);
  if (!dirStat.isDirectory()) throw new ModelFolderError(`Model path is not a folder: ${absDir}`, absDir);

  const configPath = join(absDir, 'config.json');
  const vocabPath = join(absDir, 'vocab.txt');
  const onnxPath = join(absDir, 'model.onnx');

  const rawConfig = await readJsonObject(configPath, true);
  let config: BertConfig;
  try {
    config = parseBertConfig(rawConfig, configPath);
  } catch (error) {
    throw new ModelFolderError((error as Error).message, configPath);
  }

  const vocabText = await readFile(vocabPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new ModelFolderError(missingOrUnreadable(vocabPath, error), vocabPath);
  });
  const vocabLines = parseVocabText(vocabText).length;
  // Fewer lines than vocab_size is a padded embedding table (the rows past vocab.txt have no
  // token: see logitRows); more lines would give ids that have no embedding.
  if (vocabLines > config.vocabSize) {
    throw new ModelFolderError(
      `${vocabPath} has ${vocabLines} tokens but ${configPath} says vocab_size is ${config.vocabSize}: ids past ${config.vocabSize - 1} would have no embedding`,
      vocabPath,
    );
  }

  if (options.requireOnnx ?? true) {
    const onnxStat = await stat(onnxPath).catch(() => undefined);
    if (!onnxStat?.isFile()) throw new ModelFolderError(`Missing model file: ${onnxPath}`, onnxPath);
  }

  const tokenizerConfigPath = join(absDir, 'tokenizer_config.json');
  const tokenizer = parseTokenizerSettings((await readJsonObject(tokenizerConfigPath, false)) ?? {});

  return { dir: absDir, configPath, vocabPath, onnxPath, config, tokenizer, vocabLines };
}

/** The longest input the model takes, in tokens: the smaller of the position table and `model_max_length`. */
export function maxInputTokens(folder: ModelFolder): number {
  const limit = folder.tokenizer.modelMaxLength;
  return limit === undefined ? folder.config.maxPositionEmbeddings : Math.min(limit, folder.config.maxPositionEmbeddings);
}

async function readJsonObject(path: string, required: boolean): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ModelFolderError(missingOrUnreadable(path, error as NodeJS.ErrnoException), path);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ModelFolderError(`Invalid JSON in ${path}: ${(error as Error).message}`, path);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ModelFolderError(`${path} must hold a JSON object`, path);
  }
  return value as Record<string, unknown>;
}

function missingOrUnreadable(path: string, error: NodeJS.ErrnoException): string {
  return error.code === 'ENOENT' ? `Missing model file: ${path}` : `Cannot read ${path}: ${error.message}`;
}

/** Reads Hugging Face `tokenizer_config.json` fields; missing or malformed fields take BERT's defaults. */
export function parseTokenizerSettings(raw: Record<string, unknown>): TokenizerSettings {
  const lowercase = typeof raw.do_lower_case === 'boolean' ? raw.do_lower_case : true;
  const stripAccents = typeof raw.strip_accents === 'boolean' ? raw.strip_accents : lowercase;
  const handleChineseChars = typeof raw.tokenize_chinese_chars === 'boolean' ? raw.tokenize_chinese_chars : true;
  const maxLength = raw.model_max_length;
  const modelMaxLength =
    typeof maxLength === 'number' && Number.isInteger(maxLength) && maxLength > 0 && maxLength < 1e6
      ? maxLength
      : undefined;
  const tokenName = (key: string, fallback: string): string => {
    const value = raw[key];
    if (typeof value === 'string' && value !== '') return value;
    // Newer files store AddedToken objects: {"content": "[MASK]", ...}.
    if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') {
      return (value as { content: string }).content;
    }
    return fallback;
  };
  return {
    lowercase,
    stripAccents,
    handleChineseChars,
    modelMaxLength,
    specialTokens: {
      unk: tokenName('unk_token', DEFAULT_SPECIAL_TOKENS.unk),
      cls: tokenName('cls_token', DEFAULT_SPECIAL_TOKENS.cls),
      sep: tokenName('sep_token', DEFAULT_SPECIAL_TOKENS.sep),
      pad: tokenName('pad_token', DEFAULT_SPECIAL_TOKENS.pad),
      mask: tokenName('mask_token', DEFAULT_SPECIAL_TOKENS.mask),
    },
  };
}
