// `npm run bench`: BERT Lens's compiled graphs against the plain standard-operator graph and
// transformers.js's fill-mask pipeline, in one run, interleaved, on the same weights.
//
//   node bench/run.mjs [--models base,tiny] [--tokens 16,128,512] [--batches 1,8]
//                      [--budget-ms 6000] [--rounds 5] [--work DIR] [--out bench/results/DATE.json]
//                      [--contenders fused-int8,fused-fp32,standard-fp32,transformers.js[,transformers.js-no-spin]]
//
// Each contender runs in its own process (its load time and RSS are its own); for every shape
// the contenders take turns in rounds, in a rotated order, so that load from other processes on
// the machine falls on all of them alike. transformers.js is imported from the repo's
// node_modules or from $BENCH_DEPS (a private `npm install @huggingface/transformers`).
import * as esbuild from 'esbuild';
import { execFileSync, fork } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'base,tiny' },
    tokens: { type: 'string', default: '16,128,512' },
    batches: { type: 'string', default: '1,8' },
    'budget-ms': { type: 'string', default: '6000' },
    rounds: { type: 'string', default: '5' },
    work: { type: 'string', default: join(tmpdir(), 'bert-lens-bench') },
    out: { type: 'string' },
    contenders: { type: 'string', default: 'fused-int8,fused-fp32,standard-fp32,transformers.js' },
  },
});
const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
const budgetMs = Number(args['budget-ms']);
const rounds = Number(args.rounds);

// Bundle the TypeScript parts (engine, compiler) like the other scripts do.
const outDir = join(repoRoot, 'out', 'bench');
await esbuild.build({
  entryPoints: { prepare: join(repoRoot, 'bench/prepare.ts'), worker: join(repoRoot, 'bench/worker.ts'), texts: join(repoRoot, 'bench/checkpoint.ts') },
  outdir: outDir,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  external: ['onnxruntime-node', 'tokenizers'],
  logLevel: 'warning',
});
const require = (await import('node:module')).createRequire(import.meta.url);
const { benchText } = require(join(outDir, 'texts.js'));

const log = (line) => process.stderr.write(`${line}\n`);
const uptime = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
log(`load average before: ${uptime()}`);
const prepared = JSON.parse(execFileSync(process.execPath, [join(outDir, 'prepare.js'), args.work, args.models], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 }));

const ALL_CONTENDERS = [
  { name: 'fused-int8', kind: 'engine' },
  { name: 'fused-fp32', kind: 'engine' },
  { name: 'standard-fp32', kind: 'engine' },
  { name: 'transformers.js', kind: 'transformers.js' },
  // Optional (--contenders): transformers.js with thread spinning off, as the engine runs ONNX Runtime.
  { name: 'transformers.js-no-spin', kind: 'transformers.js-no-spin', folder: 'transformers.js' },
];
const CONTENDERS = ALL_CONTENDERS.filter((c) => list(args.contenders).includes(c.name));

function startWorker(contender, folder) {
  const child = fork(join(outDir, 'worker.js'), [contender.kind, folder], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let pending;
  child.on('message', (message) => {
    const resolveNext = pending;
    pending = undefined;
    if (message.type === 'error') resolveNext?.reject(new Error(`${contender.name}: ${message.message}`));
    else resolveNext?.resolve(message);
  });
  child.on('exit', (code) => pending?.reject(new Error(`${contender.name} exited with ${code}`)));
  const next = () => new Promise((res, rej) => (pending = { resolve: res, reject: rej }));
  return {
    ready: next(),
    run(texts, iterations) {
      const answer = next();
      child.send({ type: 'run', texts, iterations });
      return answer;
    },
    stop() {
      child.send({ type: 'exit' });
    },
  };
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
const results = [];
const loads = [];
const loadSamples = [];

for (const model of list(args.models)) {
  const info = prepared[model];
  // Load the contenders one after another (their load times do not overlap).
  const workers = {};
  for (const contender of CONTENDERS) {
    const worker = startWorker(contender, info.folders[contender.folder ?? contender.name]);
    const ready = await worker.ready;
    workers[contender.name] = worker;
    loads.push({ model, contender: contender.name, loadMs: Math.round(ready.loadMs), rssAfterLoadMB: Math.round(ready.rssMB) });
    log(`${model} ${contender.name}: loaded in ${Math.round(ready.loadMs)} ms, RSS ${Math.round(ready.rssMB)} MB`);
  }
  for (const tokens of list(args.tokens).map(Number)) {
    for (const batch of list(args.batches).map(Number)) {
      const texts = Array.from({ length: batch }, (_, i) => benchText(tokens, i));
      // Warm-up (also the cost estimate that sets the number of samples).
      const estimate = {};
      for (const contender of CONTENDERS) {
        const warm = await workers[contender.name].run(texts, 1);
        estimate[contender.name] = warm.times[0];
      }
      const perRound = Object.fromEntries(
        CONTENDERS.map((c) => [c.name, Math.max(1, Math.ceil(Math.min(40, Math.max(5, budgetMs / estimate[c.name])) / rounds))]),
      );
      const times = Object.fromEntries(CONTENDERS.map((c) => [c.name, []]));
      const memory = {};
      const samples = {};
      for (let round = 0; round < rounds; round++) {
        const order = CONTENDERS.map((_, i) => CONTENDERS[(i + round) % CONTENDERS.length]);
        for (const contender of order) {
          const done = await workers[contender.name].run(texts, perRound[contender.name]);
          times[contender.name].push(...done.times);
          memory[contender.name] = { rssMB: Math.round(done.rssMB), peakRssMB: Math.round(done.peakRssMB) };
          samples[contender.name] = done.sample;
        }
      }
      for (const contender of CONTENDERS) {
        const sorted = [...times[contender.name]].sort((a, b) => a - b);
        const row = {
          model,
          tokens,
          batch,
          contender: contender.name,
          samples: sorted.length,
          medianMs: +quantile(sorted, 0.5).toFixed(1),
          p95Ms: +quantile(sorted, 0.95).toFixed(1),
          minMs: +sorted[0].toFixed(1),
          ...memory[contender.name],
        };
        results.push(row);
        log(`${model} ${tokens}×${batch} ${contender.name.padEnd(16)} median ${row.medianMs} ms, p95 ${row.p95Ms} ms (${row.samples}), RSS ${row.rssMB} MB`);
      }
      loadSamples.push({ model, tokens, batch, load: uptime(), sample: samples });
    }
  }
  for (const worker of Object.values(workers)) worker.stop();
}

const date = new Date().toISOString();
const report = {
  date,
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, loadAverageAfter: loadavg() },
  onnxruntimeNode: JSON.parse(readFileSync(join(repoRoot, 'node_modules/onnxruntime-node/package.json'), 'utf8')).version,
  prepared,
  loads,
  results,
  perShape: loadSamples,
};
const outFile = args.out ?? join(repoRoot, 'bench', 'results', `${date.slice(0, 10)}.json`);
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
log(`load average after: ${uptime()}`);
log(`wrote ${outFile}`);

// Markdown table for bench/README.md.
const names = CONTENDERS.map((c) => c.name);
const lines = [`| model | tokens | batch | ${names.map((n) => `${n} median / p95 / min ms`).join(' | ')} | transformers.js ÷ int8 (median / min) |`];
lines.push(`|${'---|'.repeat(4 + names.length)}`);
for (const model of list(args.models)) {
  for (const tokens of list(args.tokens).map(Number)) {
    for (const batch of list(args.batches).map(Number)) {
      const cell = (n) => results.find((r) => r.model === model && r.tokens === tokens && r.batch === batch && r.contender === n);
      const int8 = cell('fused-int8');
      const tjs = cell('transformers.js');
      lines.push(
        `| ${model} | ${tokens} | ${batch} | ${names.map((n) => `${cell(n).medianMs} / ${cell(n).p95Ms} / ${cell(n).minMs}`).join(' | ')} | ` +
          `${(tjs.medianMs / int8.medianMs).toFixed(2)}× / ${(tjs.minMs / int8.minMs).toFixed(2)}× |`,
      );
    }
  }
}
lines.push('', '| model | contender | model.onnx MB | load ms | RSS after load MB | peak RSS MB |', '|---|---|---|---|---|---|');
for (const l of loads) {
  const peak = Math.max(...results.filter((r) => r.model === l.model && r.contender === l.contender).map((r) => r.peakRssMB));
  const bytes = prepared[l.model].compiled[ALL_CONTENDERS.find((c) => c.name === l.contender).folder ?? l.contender].onnxBytes;
  lines.push(`| ${l.model} | ${l.contender} | ${(bytes / 2 ** 20).toFixed(1)} | ${l.loadMs} | ${l.rssAfterLoadMB} | ${peak} |`);
}
process.stdout.write(`${lines.join('\n')}\n`);
