/**
 * The model queue: every model run of the server goes through it, one at a time (ONNX Runtime
 * already uses every core for one run), interactive work (hovers, requests) before background
 * work (diagnostic scans). It skips work nobody wants any more — cancelled by the client
 * (`$/cancelRequest`), superseded by a newer job with the same key, or made stale by an edit —
 * and runs compatible jobs waiting together as one batch (e.g. several fill-mask hovers).
 */
import { LSPErrorCodes, ResponseError, type CancellationToken } from 'vscode-languageserver/node';
import type { BertModel } from '../engine';

export type JobPriority = 'interactive' | 'background';

export interface JobOptions {
  /** For logs and latency reports. */
  label: string;
  token?: CancellationToken;
  /** True when the job's input is outdated (e.g. the document changed); checked before and after the run. */
  isStale?: () => boolean;
  /** A newer job with the same key cancels this one while it waits. */
  supersedeKey?: string;
  /** Default 'interactive'. */
  priority?: JobPriority;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error };

interface Entry {
  options: JobOptions;
  batchKey?: string;
  input?: unknown;
  /** Runs the job (or, for batch entries, the batch led by it). */
  run: (model: BertModel, signal: AbortSignal, batch: Entry[]) => Promise<void>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  settled: boolean;
  controller: AbortController;
  detach?: () => void;
}

export interface QueueStats {
  completed: number;
  cancelled: number;
  stale: number;
  superseded: number;
  batches: number;
  batchedJobs: number;
}

/** Largest number of batchable jobs run together. */
const MAX_BATCH = 16;

export function cancelledError(): ResponseError<void> {
  return new ResponseError(LSPErrorCodes.RequestCancelled, 'The request was cancelled');
}

export function staleError(): ResponseError<void> {
  return new ResponseError(LSPErrorCodes.ContentModified, 'The document changed; the result is outdated');
}

export class ModelQueue {
  private readonly pending: Entry[] = [];
  private running = false;
  readonly stats: QueueStats = { completed: 0, cancelled: 0, stale: 0, superseded: 0, batches: 0, batchedJobs: 0 };

  constructor(
    private readonly model: () => Promise<BertModel>,
    private readonly onLatency: (ms: number, label: string) => void = () => undefined,
  ) {}

  /** Jobs waiting (not the one running). */
  get waiting(): number {
    return this.pending.length;
  }

  /** Runs `work` with the model when its turn comes; rejects with RequestCancelled / ContentModified when dropped. */
  run<T>(options: JobOptions, work: (model: BertModel, signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.enqueue<T>(options, undefined, undefined, async (model, signal, batch) => {
      const value = await work(model, signal);
      this.finish(batch[0], value);
    });
  }

  /**
   * Runs `input` in one batch with the other waiting jobs of the same `batchKey`:
   * `runBatch` gets every input and returns one outcome per input, in order.
   */
  batch<I, O>(
    batchKey: string,
    input: I,
    options: JobOptions,
    runBatch: (model: BertModel, inputs: I[], signal: AbortSignal) => Promise<Array<Outcome<O>>>,
  ): Promise<O> {
    return this.enqueue<O>(options, batchKey, input, async (model, signal, batch) => {
      const outcomes = await runBatch(
        model,
        batch.map((entry) => entry.input as I),
        signal,
      );
      batch.forEach((entry, i) => {
        const outcome = outcomes[i];
        if (outcome?.ok) this.finish(entry, outcome.value);
        else this.fail(entry, outcome?.error ?? new Error('The batch returned no result'));
      });
    });
  }

  private enqueue<T>(options: JobOptions, batchKey: string | undefined, input: unknown, run: Entry['run']): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Entry = {
        options,
        batchKey,
        input,
        run,
        resolve: resolve as (value: unknown) => void,
        reject,
        settled: false,
        controller: new AbortController(),
      };
      if (options.token?.isCancellationRequested) {
        this.stats.cancelled++;
        reject(cancelledError());
        return;
      }
      if (options.supersedeKey !== undefined) {
        for (const older of this.pending.filter((e) => e.options.supersedeKey === options.supersedeKey)) {
          this.stats.superseded++;
          this.drop(older, cancelledError());
        }
      }
      const subscription = options.token?.onCancellationRequested(() => {
        entry.controller.abort(cancelledError());
        if (this.pending.includes(entry)) {
          this.stats.cancelled++;
          this.drop(entry, cancelledError());
        }
      });
      entry.detach = () => subscription?.dispose();
      this.pending.push(entry);
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let entry = this.next(); entry; entry = this.next()) {
        const batch = entry.batchKey === undefined ? [entry] : this.takeBatch(entry);
        let model: BertModel;
        try {
          model = await this.model();
        } catch (error) {
          for (const member of batch) this.fail(member, error as Error);
          continue;
        }
        const live = batch.filter((member) => !this.dropIfUnwanted(member));
        if (live.length === 0) continue;
        if (live.length > 1) {
          this.stats.batches++;
          this.stats.batchedJobs += live.length;
        }
        const started = performance.now();
        try {
          await live[0].run(model, live[0].controller.signal, live);
        } catch (error) {
          for (const member of live) this.fail(member, error as Error);
        }
        this.onLatency(performance.now() - started, live.map((m) => m.options.label).join(', '));
      }
    } finally {
      this.running = false;
    }
  }

  /** The next entry to run: interactive first, then background, each in arrival order. */
  private next(): Entry | undefined {
    const index = this.pending.findIndex((e) => (e.options.priority ?? 'interactive') === 'interactive');
    const chosen = index >= 0 ? index : this.pending.length > 0 ? 0 : -1;
    return chosen < 0 ? undefined : this.pending.splice(chosen, 1)[0];
  }

  private takeBatch(first: Entry): Entry[] {
    const batch = [first];
    for (let i = 0; i < this.pending.length && batch.length < MAX_BATCH; ) {
      if (this.pending[i].batchKey === first.batchKey) batch.push(...this.pending.splice(i, 1));
      else i++;
    }
    return batch;
  }

  /** Drops an entry that was cancelled or became stale while waiting; true when dropped. */
  private dropIfUnwanted(entry: Entry): boolean {
    if (entry.settled) return true;
    if (entry.options.token?.isCancellationRequested) {
      this.stats.cancelled++;
      this.drop(entry, cancelledError());
      return true;
    }
    if (entry.options.isStale?.()) {
      this.stats.stale++;
      this.drop(entry, staleError());
      return true;
    }
    return false;
  }

  private drop(entry: Entry, error: Error): void {
    const index = this.pending.indexOf(entry);
    if (index >= 0) this.pending.splice(index, 1);
    this.fail(entry, error);
  }

  /** Delivers a result unless the job was cancelled or went stale while it ran (then the result is dropped). */
  private finish(entry: Entry, value: unknown): void {
    if (entry.settled) return;
    if (entry.options.token?.isCancellationRequested) {
      this.stats.cancelled++;
      return this.fail(entry, cancelledError());
    }
    if (entry.options.isStale?.()) {
      this.stats.stale++;
      return this.fail(entry, staleError());
    }
    entry.settled = true;
    entry.detach?.();
    this.stats.completed++;
    entry.resolve(value);
  }

  private fail(entry: Entry, error: Error): void {
    if (entry.settled) return;
    entry.settled = true;
    entry.detach?.();
    entry.reject(error);
  }
}

/**
 * `model` whose every `run` is a separate job of `queue`: long work (training a head over
 * thousands of texts) then takes turns with hovers instead of holding the model throughout.
 */
export function queuedModel(queue: ModelQueue, model: BertModel, options: JobOptions): BertModel {
  const proxy = Object.create(model) as BertModel;
  const run: BertModel['run'] = (inputs, runOptions) => queue.run(options, (m) => m.run(inputs, runOptions));
  Object.defineProperty(proxy, 'run', { value: run });
  return proxy;
}
