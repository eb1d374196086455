/**
 * What every CLI command gets: output streams, the working folder and the package root
 * (where bundled models live), plus the usage error type and the shared option parsers.
 */
import { extname } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { TextFormat } from '../engine/sentences';
import { resolveModel } from '../model/resolve';
export interface CommandContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
  packageRoot: string;
}

/** A mistake in the command line itself (exit code 2). */
export class UsageError extends Error {}

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** node:util's parseArgs (strict, positionals allowed) with its errors turned into usage errors. */
export function parseCommandArgs<const O extends OptionSpecs>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function parseTopK(value: string | undefined): number {
  if (value === undefined) return 5;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 50) throw new UsageError(`--top-k must be an integer from 1 to 50, got "${value}"`);
  return n;
}

/**
 * `--model M` (a folder, a checkpoint folder, a Hub id or a bundled name) → a model folder.
 * Hub downloads and compiles report their steps on stderr; the endpoint comes from
 * HF_ENDPOINT and the token from HF_TOKEN (read by the downloader), as with Hugging Face's tools.
 */
export async function resolveCliModel(spec: string | undefined, ctx: CommandContext): Promise<string> {
  const resolved = await resolveModel(spec ?? '', {
    packageRoot: ctx.packageRoot,
    cwd: ctx.cwd,
    onStep: (message) => ctx.stderr.write(`${message}\n`),
  });
  return resolved.folder;
}

const MARKDOWN_EXTENSIONS = new Set(['.md', '.markdown', '.mdown', '.mkd', '.mdx']);

/** `--format markdown|plain` (md / text too); absent → markdown for markdown files, else plain. */
export function parseFormat(value: string | undefined, source: string): TextFormat {
  if (value === undefined) return MARKDOWN_EXTENSIONS.has(extname(source).toLowerCase()) ? 'markdown' : 'plain';
  if (value === 'markdown' || value === 'md') return 'markdown';
  if (value === 'plain' || value === 'text') return 'plain';
  throw new UsageError(`--format must be markdown or plain, got "${value}"`);
}
