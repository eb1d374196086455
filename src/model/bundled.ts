/**
 * Which models ship inside the extension / package, and how a model setting (`bertLens.model`,
 * the CLI's `--model`) turns into a model folder on disk. Hub ids arrive with the importer.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { BUNDLED_MODELS, DEFAULT_MODEL } from '../protocol/bundled-models';

export { BUNDLED_MODELS, DEFAULT_MODEL };

export class ModelNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelNotFoundError';
  }
}

/**
 * Resolves a model spec to an absolute folder path.
 * @param spec  '' (the default bundled model), a bundled name, or a folder path
 *              (relative paths are taken from `cwd`).
 * @param packageRoot  the folder holding package.json (the extension or CLI install).
 */
export function resolveModelFolder(spec: string, packageRoot: string, cwd = process.cwd()): string {
  const name = spec.trim() || DEFAULT_MODEL;
  const bundled = BUNDLED_MODELS[name];
  if (bundled !== undefined) return join(packageRoot, bundled);
  const folder = isAbsolute(name) ? name : resolve(cwd, name);
  if (existsSync(folder)) return folder;
  throw new ModelNotFoundError(
    `Model folder not found: ${folder}. Use a model folder (config.json, vocab.txt, model.onnx), a Hugging Face ` +
      `checkpoint folder, a Hub id such as google-bert/bert-base-uncased, ` +
      `or a bundled model (${Object.keys(BUNDLED_MODELS).join(', ')})`,
  );
}
