/**
 * The BERT Lens language server (a child process of the extension, or `bert-lens serve --stdio`
 * for other editors). Wires the LSP connection to the model host and the request handlers;
 * the analysis itself lives in the engine.
 */
import {
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { fillMask } from '../engine';
import {
  DEFAULT_SETTINGS,
  ErrorCodes,
  FillMaskRequest,
  StatusNotification,
  StatusRequest,
  type BertLensSettings,
  type FillMaskParams,
  type InitializationOptions,
} from '../protocol';
import { maskHover } from './hover';
import { ModelHost } from './model-host';
import { validateText } from '../protocol/validate';

export function startServer(connection: Connection, defaultPackageRoot: string): void {
  const documents = new TextDocuments(TextDocument);
  let settings: BertLensSettings = DEFAULT_SETTINGS;
  let host: ModelHost | undefined;
  const log = (message: string) => connection.console.log(message);

  connection.onInitialize((params): InitializeResult => {
    const options = (params.initializationOptions ?? {}) as Partial<InitializationOptions>;
    settings = { ...DEFAULT_SETTINGS, ...options.settings };
    const packageRoot = options.extensionPath ?? defaultPackageRoot;
    host = new ModelHost(settings, packageRoot, log, (status) =>
      void connection.sendNotification(StatusNotification, status),
    );
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
      },
      serverInfo: { name: 'bert-lens', version: '0.1.0' },
    };
  });

  connection.onInitialized(() => {
    // Load eagerly so the first hover does not pay for session creation.
    host?.model().catch(() => undefined /* reported through status and the log */);
  });

  const runFillMask = async (text: string, topK: number) => {
    if (!host) throw new ResponseError(ErrorCodes.ModelUnavailable, 'The server is not initialised');
    let model;
    try {
      model = await host.model();
    } catch (error) {
      throw new ResponseError(ErrorCodes.ModelUnavailable, `Model unavailable: ${(error as Error).message}`);
    }
    const result = await fillMask(model, text, { topK });
    host.recordLatency(result.latencyMs);
    return result;
  };

  connection.onRequest(FillMaskRequest, async (params: FillMaskParams) => {
    const problem = validateText(params?.text, settings.maxTextLength);
    if (problem) throw new ResponseError(ErrorCodes.InvalidInput, problem);
    const topK = clampTopK(params.topK ?? settings.topK);
    try {
      return await runFillMask(params.text, topK);
    } catch (error) {
      if (error instanceof ResponseError) throw error;
      throw new ResponseError(ErrorCodes.InvalidInput, (error as Error).message);
    }
  });

  connection.onRequest(StatusRequest, () => host?.current() ?? { state: 'loading', model: '', modelPath: '', executionProvider: null, pid: process.pid });

  connection.onHover(async (params, token) => {
    if (!settings.hover.enabled) return null;
    const document = documents.get(params.textDocument.uri);
    if (!document || document.getText().length > settings.maxTextLength) return null;
    try {
      const hover = await maskHover(document, params.position, settings.topK, runFillMask);
      return token.isCancellationRequested ? null : hover;
    } catch (error) {
      log(`Hover failed: ${(error as Error).message}`);
      return null;
    }
  });

  documents.listen(connection);
  connection.listen();
}

function clampTopK(value: number): number {
  if (!Number.isFinite(value)) return DEFAULT_SETTINGS.topK;
  return Math.min(50, Math.max(1, Math.round(value)));
}
