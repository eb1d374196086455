/**
 * Classifier heads the server offers: `model` (the classifier compiled into the model, when it
 * has one), linear heads saved in each workspace folder's `.bert-lens/heads/`, and heads bundled
 * with the model in its folder's `heads/`. Resolves a head by name in that order, or by path.
 */
import { readdir } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import type { BertModel } from '../engine';
import { modelClassifier, type ClassifierHead } from '../engine/classify';
import { readLinearHead } from '../engine/linear-head';
import type { HeadInfo } from '../protocol';

/** Where named heads live inside a workspace folder (the CLI's train-head uses the same). */
export const WORKSPACE_HEADS_FOLDER = join('.bert-lens', 'heads');
/** Where a model folder may carry heads of its own. */
export const MODEL_HEADS_FOLDER = 'heads';

export function workspaceHeadPath(workspaceFolder: string, name: string): string {
  return join(workspaceFolder, WORKSPACE_HEADS_FOLDER, `${name}.json`);
}

/** A name usable as a file name on every platform. */
export function isValidHeadName(name: string): boolean {
  return /^[\w][\w .-]{0,99}$/.test(name) && !name.endsWith('.') && name !== 'model';
}

export async function listHeads(model: BertModel, workspaceFolders: readonly string[], log: (message: string) => void): Promise<HeadInfo[]> {
  const heads: HeadInfo[] = [];
  const classifier = await modelClassifier(model);
  if (classifier) heads.push({ name: 'model', source: 'model', labels: classifier.labels });
  const seen = new Set(heads.map((h) => h.name));
  const add = async (folder: string, source: HeadInfo['source']) => {
    const files = await readdir(folder).catch(() => [] as string[]);
    for (const file of files.filter((f) => f.endsWith('.json')).sort()) {
      const path = join(folder, file);
      const name = basename(file, '.json');
      try {
        const head = await readLinearHead(path);
        if (seen.has(name)) continue;
        seen.add(name);
        heads.push({ name, source, path, labels: head.labels });
      } catch (error) {
        log(`Skipping the head ${path}: ${(error as Error).message}`);
      }
    }
  };
  for (const folder of workspaceFolders) await add(join(folder, WORKSPACE_HEADS_FOLDER), 'workspace');
  await add(join(model.folder.dir, MODEL_HEADS_FOLDER), 'bundled');
  return heads;
}

/** `model`, a head name (workspace folders first, then the model's bundled heads), or a path to a head file. */
export async function resolveHead(model: BertModel, spec: string, workspaceFolders: readonly string[]): Promise<ClassifierHead> {
  if (spec === 'model') return 'model';
  if (spec.endsWith('.json') || isAbsolute(spec) || /[\\/]/.test(spec)) {
    if (!isAbsolute(spec)) throw new Error(`The head path ${spec} must be absolute`);
    return readLinearHead(spec);
  }
  const candidates = [
    ...workspaceFolders.map((folder) => workspaceHeadPath(folder, spec)),
    join(model.folder.dir, MODEL_HEADS_FOLDER, `${spec}.json`),
  ];
  for (const path of candidates) {
    try {
      return await readLinearHead(path);
    } catch (error) {
      if (!/no such file/.test((error as Error).message)) throw error;
    }
  }
  const known = (await listHeads(model, workspaceFolders, () => undefined)).map((h) => h.name);
  throw new Error(
    `No head named "${spec}" (available: ${known.length > 0 ? known.join(', ') : 'none; train one with BERT Lens: Train Head'})`,
  );
}
