/**
 * One benchmark contender in its own process (so that its load time and memory are its own):
 * loads a model, then answers `run` messages from bench/run.mjs by timing end-to-end fill-mask
 * calls (text in, top-5 predictions out) on the texts it is sent.
 *
 *   contender 'engine':          BERT Lens's engine (src/engine: tokenizer, ONNX Runtime session, top-k)
 *   contender 'transformers.js': @huggingface/transformers' fill-mask pipeline, local files only
 *   contender 'transformers.js-no-spin': the same with ONNX Runtime's thread spinning off
 */
import { createRequire } from 'node:module';
import { basename, dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fillMaskBatch, loadModel } from '../src/engine';

interface RunMessage {
  type: 'run';
  texts: string[];
  iterations: number;
}

type FillMask = (texts: string[]) => Promise<unknown>;

/** @huggingface/transformers from the repo's node_modules, or from BENCH_DEPS (a private install). */
async function importTransformers(): Promise<any> {
  const from = process.env.BENCH_DEPS ? `${process.env.BENCH_DEPS}/` : `${process.cwd()}/`;
  const path = createRequire(from).resolve('@huggingface/transformers');
  return import(pathToFileURL(path).href);
}

async function load(kind: string, folder: string): Promise<FillMask> {
  if (kind === 'engine') {
    const model = await loadModel(folder, { executionProvider: 'cpu' });
    return (texts) => fillMaskBatch(model, texts, { topK: 5, batchSize: texts.length });
  }
  const transformers = await importTransformers();
  transformers.env.allowRemoteModels = false;
  transformers.env.allowLocalModels = true;
  transformers.env.localModelPath = `${dirname(folder)}/`;
  // 'transformers.js-no-spin': the same pipeline with ONNX Runtime's thread spinning off, as our engine runs.
  const sessionOptions = kind === 'transformers.js-no-spin' ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : undefined;
  const pipe = await transformers.pipeline('fill-mask', basename(folder), { dtype: 'fp32', device: 'cpu', session_options: sessionOptions });
  return (texts) => pipe(texts.length === 1 ? texts[0] : texts, { top_k: 5 });
}

async function main(): Promise<void> {
  const [kind, folder] = process.argv.slice(2);
  const started = performance.now();
  const fillMask = await load(kind, folder);
  const loadMs = performance.now() - started;
  process.send!({ type: 'ready', loadMs, rssMB: process.memoryUsage().rss / 2 ** 20 });
  process.on('message', async (message: RunMessage | { type: 'exit' }) => {
    if (message.type === 'exit') process.exit(0);
    const times: number[] = [];
    let sample: unknown;
    try {
      for (let i = 0; i < message.iterations; i++) {
        const t = performance.now();
        sample = await fillMask(message.texts);
        times.push(performance.now() - t);
      }
    } catch (error) {
      process.send!({ type: 'error', message: String((error as Error)?.stack ?? error) });
      return;
    }
    process.send!({
      type: 'done',
      times,
      rssMB: process.memoryUsage().rss / 2 ** 20,
      peakRssMB: process.resourceUsage().maxRSS / 1024,
      sample: JSON.stringify(sample).slice(0, 300),
    });
  });
}

main().catch((error) => {
  process.send!({ type: 'error', message: String(error?.stack ?? error) });
  process.exit(1);
});
