/**
 * The custom requests of src/protocol (`bertLens/*`), each validated, mapped to the engine and
 * run through the model queue (so `$/cancelRequest` drops a request that has not run yet and
 * discards the result of one that has). Errors reach the client as ResponseErrors with
 * ErrorCodes (see errors.ts).
 */
import { isAbsolute } from 'node:path';
import type { CancellationToken, RequestHandler, RequestType } from 'vscode-languageserver/node';
import { coherence, nextSentenceProbability } from '../engine';
import { classify } from '../engine/classify';
import { fillMaskExtended } from '../engine/fill-mask-extras';
import { suggestReplacements } from '../engine/replacements';
import { unlikelyWords, wordProbabilities } from '../engine/surprisal';
import {
  AttentionRequest,
  ClassifyRequest,
  CoherenceRequest,
  FillMaskRequest,
  ListHeadsRequest,
  NspRequest,
  ReplacementsRequest,
  StatusRequest,
  TokenizeRequest,
  TrainHeadRequest,
  UnlikelyWordsRequest,
  WordProbabilitiesRequest,
  type StatusResult,
} from '../protocol';
import { AttentionHost, attentionMaps, DEFAULT_ATTENTION_TOKENS, MAX_ATTENTION_TOKENS } from './attention';
import type { ServerContext } from './context';
import { checkText, invalid, optionalFormat, optionalInteger, optionalNumber, toResponseError } from './errors';
import { listHeads, resolveHead } from './heads';
import { trainHead } from './train-head';
import { batchedFillMask } from './word-hover';

export function registerRequests(ctx: ServerContext): void {
  const { connection } = ctx;
  let attention: AttentionHost | undefined;
  const settings = () => ctx.settings.initial;
  const topKOf = (value: unknown) => optionalInteger(value, 'topK', 1, 50) ?? settings().topK;

  /** Registers a handler whose errors become ResponseErrors. */
  const handle = <P, R>(type: RequestType<P, R, void>, run: (params: P, token: CancellationToken) => Promise<R>) =>
    connection.onRequest<P, R, void>(type, ((params: P, token: CancellationToken) =>
      run((params ?? {}) as P, token).catch((error: unknown) => {
        throw toResponseError(error);
      })) as RequestHandler<P, R, void>);

  handle(FillMaskRequest, async (params, token) => {
    checkText(params.text, settings().maxTextLength);
    const topK = topKOf(params.topK);
    const targets = params.targets;
    if (targets !== undefined && (!Array.isArray(targets) || targets.some((t) => typeof t !== 'string' || t.trim() === ''))) {
      throw invalid('targets must be a list of non-empty words');
    }
    if (targets?.length || params.leftToRight) {
      const result = await ctx.queue.run({ label: 'fillMask', token }, (model) =>
        fillMaskExtended(model, params.text, { topK, targets, leftToRight: params.leftToRight === true }),
      );
      return { ...result, truncated: false };
    }
    return batchedFillMask(ctx, params.text, topK, { label: 'fillMask', token });
  });

  handle(ReplacementsRequest, async (params, token) => {
    checkText(params.text, settings().maxTextLength);
    const range = params.range;
    if (!Array.isArray(range) || range.length !== 2 || !range.every((n) => Number.isInteger(n))) {
      throw invalid('range must be [start, end] in UTF-16 code units');
    }
    const topK = topKOf(params.topK);
    return ctx.queue.run({ label: 'replacements', token }, (model) => suggestReplacements(model, params.text, range, { topK }));
  });

  handle(NspRequest, async (params, token) => {
    checkText(params.a, settings().maxTextLength, 'a');
    checkText(params.b, settings().maxTextLength, 'b');
    return ctx.queue.run({ label: 'nsp', token }, (model) => nextSentenceProbability(model, params.a, params.b));
  });

  handle(CoherenceRequest, async (params, token) => {
    checkText(params.text, settings().maxTextLength);
    const format = optionalFormat(params.format);
    return ctx.queue.run({ label: 'coherence', token }, (model) =>
      coherence(model, params.text, { format, acrossParagraphs: params.acrossParagraphs === true }),
    );
  });

  handle(UnlikelyWordsRequest, async (params, token) => {
    checkText(params.text, settings().maxTextLength);
    const format = optionalFormat(params.format);
    const threshold = optionalNumber(params.threshold, 'threshold', Number.MIN_VALUE, 1);
    const max = optionalInteger(params.max, 'max', 0, 10_000);
    return ctx.queue.run({ label: 'unlikelyWords', token }, (model) => unlikelyWords(model, params.text, { format, threshold, max }));
  });

  handle(WordProbabilitiesRequest, async (params, token) => {
    checkText(params.text, settings().maxTextLength);
    return ctx.queue.run({ label: 'wordProbabilities', token }, (model) => wordProbabilities(model, params.text));
  });

  handle(ListHeadsRequest, async (params) => {
    const folders = workspaceFolders(params.workspaceFolders);
    return listHeads(await ctx.model(), folders, (message) => ctx.log(message));
  });

  handle(ClassifyRequest, async (params, token) => {
    checkText(params.text, settings().maxTextLength);
    if (typeof params.head !== 'string' || params.head.trim() === '') throw invalid('head must name a head ("model", a head name or a path)');
    const folders = workspaceFolders(params.workspaceFolders);
    const model = await ctx.model();
    const head = await resolveHead(model, params.head.trim(), folders);
    const warnings: string[] = [];
    const [result] = await ctx.queue.run({ label: 'classify', token }, (m, signal) =>
      classify(m, [params.text], head, { signal, onWarning: (w) => warnings.push(w) }),
    );
    for (const warning of warnings) ctx.log(`classify: ${warning}`);
    return result;
  });

  handle(TrainHeadRequest, (params, token) => trainHead(ctx, params, token));

  handle(TokenizeRequest, async (params) => {
    checkText(params.text, settings().maxTextLength);
    if (params.textB !== undefined) checkText(params.textB, settings().maxTextLength, 'textB');
    const model = await ctx.model();
    const encoded = await model.tokenizer.encode(params.text, params.textB);
    const { tokens, ids, typeIds, attentionMask, offsets, sequenceIds, truncated } = encoded;
    return { tokens, ids, typeIds, attentionMask, offsets, sequenceIds, truncated };
  });

  handle(AttentionRequest, async (params, token) => {
    checkText(params.text, settings().maxTextLength);
    const maxTokens = optionalInteger(params.maxTokens, 'maxTokens', 3, MAX_ATTENTION_TOKENS) ?? DEFAULT_ATTENTION_TOKENS;
    const host = ctx.host;
    if (!host) throw invalid('The server is not initialised');
    const model = await ctx.model();
    attention ??= new AttentionHost(settings(), (message) => ctx.log(message));
    const attentionModel = await attention.modelFor(model, () => host.checkpointFolder());
    return ctx.queue.run({ label: 'attention', token }, () => attentionMaps(attentionModel, params.text, maxTokens));
  });

  connection.onRequest(StatusRequest, (): StatusResult =>
    ctx.host?.current() ?? { state: 'loading', model: '', modelPath: '', executionProvider: null, pid: process.pid },
  );
}

function workspaceFolders(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((f) => typeof f !== 'string' || !isAbsolute(f))) {
    throw invalid('workspaceFolders must be a list of absolute folder paths');
  }
  return value as string[];
}
