/**
 * The `bert-lens` command line: the engine for scripts and terminals (contract in SPEC.md).
 * Results go to stdout, errors to stderr; exit code 0 = success, 1 = failure, 2 = usage error.
 */
import { resolve } from 'node:path';
import { ANALYZE_USAGE, runAnalyze } from './analyze';
import { BENCH_USAGE, runBench } from './bench';
import { runClassify } from './classify';
import { COHERENCE_USAGE, runCoherence } from './coherence';
import { runFillMask } from './fill-mask';
import { runImport } from './import';
import { NSP_USAGE, runNsp } from './nsp';
import { runServe } from './serve';
import { runTrainHead } from './train-head';
import { UsageError, type CommandContext } from './shared';

const USAGE = `Usage: bert-lens <command> [options]

Commands:
  fill-mask [--model M] [--top-k N] [--json] TEXT
      Predict every [MASK] in TEXT.
  fill-mask [--model M] [--top-k N] --input FILE.jsonl --json
      One JSON object {"text": "..."} per input line; one result line per input line.
${NSP_USAGE}
${COHERENCE_USAGE}
${ANALYZE_USAGE}
  classify --head NAME [--model M] [--json] TEXT
      Label probabilities for TEXT. NAME: a head saved by train-head (.bert-lens/heads/NAME.json),
      a path to a head .json file, or "model" (the classifier compiled into the model). A saved
      head runs on the model it was trained on unless --model is given.
  classify --head NAME [--model M] --input FILE.jsonl --json
      One JSON object {"text": "..."} per input line; one {"labels": [...]} line per input line.
  train-head --data FILE --name NAME [--model M] [--folds K] [--pooling mean|cls|layers-mean]
             [--l2 X] [--seed N] [--format jsonl|csv] [--force] [--json]
      Train a linear head on the model's features from JSONL lines {"text","label"} or a CSV
      with a text,label header; prints the cross-validation report (default 10 folds) and saves
      .bert-lens/heads/NAME.json (refuses to overwrite without --force). Pooling: mean of the
      last layer (default), its [CLS] vector, or layers-mean: the means of the embeddings and of
      every layer, concatenated (needs a model compiled with layer_means, as imports are).
  import SOURCE [--out DIR] [--quantize int8|fp16|none] [--variant fused|standard] [--json]
      Compile a Hugging Face BERT checkpoint into a model folder usable with --model. SOURCE is
      a folder (config.json, model.safetensors, vocab.txt or tokenizer.json) or a Hub id
      (org/name[@revision], hf:name), downloaded first into the per-user cache (HF_ENDPOINT,
      HF_TOKEN).
  serve --stdio
      Run the language server over stdin/stdout (for Neovim, Helix and other editors).
${BENCH_USAGE}

Options:
  --model M   a model folder, or a bundled model name (default: the bundled model)
  --top-k N   predictions per [MASK] (1-50, default 5)
  --json      machine-readable output
  -h, --help  this help`;

const COMMANDS: Record<string, (args: string[], ctx: CommandContext) => Promise<number>> = {
  'fill-mask': runFillMask,
  import: runImport,
  nsp: runNsp,
  coherence: runCoherence,
  analyze: runAnalyze,
  bench: runBench,
  classify: runClassify,
  'train-head': runTrainHead,
  serve: runServe,
};

/** The lines of USAGE that describe `command` (each of its forms), then the common options. */
export function commandUsage(command: string): string {
  const lines = USAGE.split('\n');
  const picked: string[] = [];
  let inside = false;
  for (const line of lines) {
    if (/^ {2}\S/.test(line)) inside = line.startsWith(`  ${command} `) || line === `  ${command}`;
    else if (!/^ {3,}/.test(line)) inside = false;
    if (inside) picked.push(line);
  }
  const options = lines.slice(lines.indexOf('Options:'));
  return [`Usage: bert-lens ${command} [options]`, '', ...picked, '', ...options].join('\n');
}

export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    ctx.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  const run = COMMANDS[command];
  if (!run) {
    ctx.stderr.write(`bert-lens: unknown command "${command}". Run "bert-lens --help" for the list.\n`);
    return 2;
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    ctx.stdout.write(`${commandUsage(command)}\n`);
    return 0;
  }
  try {
    return await run(rest, ctx);
  } catch (error) {
    if (error instanceof UsageError) {
      ctx.stderr.write(`bert-lens ${command}: ${error.message}\n`);
      return 2;
    }
    ctx.stderr.write(`bert-lens ${command}: ${(error as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) {
  const ctx: CommandContext = {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    packageRoot: resolve(__dirname, '..'),
  };
  main(process.argv.slice(2), ctx).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`bert-lens: ${(error as Error).stack ?? error}\n`);
      process.exitCode = 1;
    },
  );
}
