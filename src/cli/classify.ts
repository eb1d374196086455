/**
 * `bert-lens classify --head NAME`: label probabilities for one text, or for every line of a
 * JSONL file (`--input`), as a readable list or as the contract's JSON. NAME is a head saved by
 * train-head (`.bert-lens/heads/NAME.json` in the working folder), a path to a head .json
 * file, or `model` for the classifier compiled into the model itself.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { loadModel } from '../engine';
import { classify, classifySettled, type ClassifierHead, type ClassifyResult } from '../engine/classify';
import { readLinearHead } from '../engine/linear-head';
import { formatPercent } from '../protocol/format';
import { runJsonLines, textOf } from './json-lines';
import { type CommandContext, parseCommandArgs, resolveCliModel, UsageError } from './shared';
import { HEADS_FOLDER, headPath } from './train-head';

/** The contract's JSON shape for one text. */
export function classifyJson(result: ClassifyResult) {
  return { labels: result.labels.map(({ label, score }) => ({ label, score })) };
}

/**
 * `--head` → `'model'` or a linear head read from its file: a path, a head saved in the working
 * folder's `.bert-lens/heads/`, or one shipped in the model folder's `heads/` (e.g. the bundled
 * model's `sentiment`), in that order.
 */
export async function resolveHead(spec: string, cwd: string, modelFolder?: string): Promise<{ head: ClassifierHead; path?: string }> {
  if (spec === 'model') return { head: 'model' };
  const isPath = spec.endsWith('.json') || spec.includes('/') || spec.includes('\\');
  const path = isPath ? resolve(cwd, spec) : headPath(cwd, spec);
  try {
    return { head: await readLinearHead(path), path };
  } catch (error) {
    if (isPath || !/no such file/.test((error as Error).message)) throw error;
    const shipped = modelFolder === undefined ? undefined : join(modelFolder, 'heads', `${spec}.json`);
    if (shipped !== undefined && existsSync(shipped)) return { head: await readLinearHead(shipped), path: shipped };
    const saved = await readdir(resolve(cwd, HEADS_FOLDER)).catch(() => [] as string[]);
    const names = saved.filter((f) => f.endsWith('.json')).map((f) => basename(f, '.json'));
    throw new Error(
      `no head named "${spec}" in ${resolve(cwd, HEADS_FOLDER)} (${names.length > 0 ? `saved heads: ${names.join(', ')}` : 'none saved yet: train one with bert-lens train-head'}); ` +
        `--head also takes a path to a head .json file, or "model" for the model's own classifier`,
    );
  }
}

export async function runClassify(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCliArgs(args);
  const json = values.json === true;
  if (values.head === undefined) throw new UsageError('missing --head NAME (a head saved by train-head, a head .json file, or "model")');
  if (values.input !== undefined && positionals.length > 0) throw new UsageError('give either TEXT or --input FILE, not both');
  if (values.input === undefined && positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'missing TEXT (or --input FILE.jsonl)' : 'give TEXT as one argument (quote it)');
  }
  if (values.input !== undefined && !json) throw new UsageError('--input needs --json (the output is one JSON line per input line)');

  const { head } = await resolveHead(values.head, ctx.cwd, await resolveCliModel(values.model, ctx));
  // A linear head runs by default on the model it was trained on.
  const modelSpec = values.model ?? (head === 'model' ? undefined : head.model.name);
  const model = await loadModel(await resolveCliModel(modelSpec, ctx), { executionProvider: 'cpu' });
  const onWarning = (message: string) => ctx.stderr.write(`warning: ${message}\n`);
  if (values.input !== undefined) {
    return runJsonLines(resolve(ctx.cwd, values.input), ctx, {
      command: 'classify',
      parse: textOf,
      run: (texts) => classifySettled(model, texts, head, { onWarning }),
      toJson: classifyJson,
    });
  }

  const [result] = await classify(model, [positionals[0]], head, { onWarning });
  ctx.stdout.write(json ? `${JSON.stringify(classifyJson(result))}\n` : formatLabels(result));
  return 0;
}

function formatLabels(result: ClassifyResult): string {
  const width = Math.max(...result.labels.map((l) => l.label.length));
  const out = result.labels.map(
    ({ label, score }) => `${label.padEnd(width)}  ${formatPercent(score).padStart(7)}  ${'█'.repeat(Math.round(score * 20))}`,
  );
  if (result.truncated) out.push('(the text was longer than the model reads and was truncated)');
  out.push(`${result.latencyMs.toFixed(1)} ms`);
  return `${out.join('\n')}\n`;
}

function parseCliArgs(args: string[]) {
  return parseCommandArgs(args, {
    head: { type: 'string' },
    model: { type: 'string' },
    json: { type: 'boolean' },
    input: { type: 'string' },
  });
}
