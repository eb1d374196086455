/**
 * The BERT Lens language server (a child process of the extension, or `bert-lens serve --stdio`
 * for other editors). Wires the LSP connection to the shared context (model host, queue,
 * settings) and to the features: custom requests (requests.ts), hover (word-hover.ts),
 * diagnostics (diagnostics.ts) and code actions (code-actions.ts). The analysis itself lives in
 * the engine.
 */
import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { StatusNotification, type InitializationOptions } from '../protocol';
import { provideCodeActions } from './code-actions';
import { ServerContext } from './context';
import { DiagnosticsScheduler } from './diagnostics';
import { ModelHost } from './model-host';
import { registerRequests } from './requests';
import { SettingsStore } from './settings';
import { provideHover } from './word-hover';

export function startServer(connection: Connection, defaultPackageRoot: string): void {
  const documents = new TextDocuments(TextDocument);
  const ctx = new ServerContext(connection, documents, defaultPackageRoot);
  const diagnostics = new DiagnosticsScheduler(ctx);
  let dynamicConfiguration = false;

  connection.onInitialize((params): InitializeResult => {
    const options = (params.initializationOptions ?? {}) as Partial<InitializationOptions>;
    ctx.settings = new SettingsStore(connection, options.settings);
    ctx.settings.canPull = params.capabilities.workspace?.configuration === true;
    dynamicConfiguration = params.capabilities.workspace?.didChangeConfiguration?.dynamicRegistration === true;
    ctx.packageRoot = options.extensionPath ?? defaultPackageRoot;
    ctx.ignoreWordCommand = typeof options.ignoreWordCommand === 'string' ? options.ignoreWordCommand : undefined;
    ctx.host = new ModelHost(ctx.settings.initial, ctx.packageRoot, (message) => ctx.log(message), (status) =>
      void connection.sendNotification(StatusNotification, status),
    );
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, CodeActionKind.RefactorRewrite] },
      },
      serverInfo: { name: 'bert-lens', version: '0.1.0' },
    };
  });

  connection.onInitialized(() => {
    // Load eagerly so the first hover does not pay for session creation.
    ctx.host?.model().catch(() => undefined /* reported through status and the log */);
    if (dynamicConfiguration) void connection.client.register(DidChangeConfigurationNotification.type, { section: 'bertLens' });
  });

  connection.onDidChangeConfiguration((change) => {
    ctx.settings.changed(change.settings);
    for (const document of documents.all()) diagnostics.schedule(document, true);
  });

  registerRequests(ctx);

  connection.onHover(async (params, token) => {
    try {
      return await provideHover(ctx, params, token);
    } catch (error) {
      // A dropped (cancelled / outdated) hover is not news; anything else goes to the log.
      if (!token.isCancellationRequested && !/cancelled|outdated/.test((error as Error).message)) {
        ctx.log(`Hover failed: ${(error as Error).message}`);
      }
      if (isDropped(error)) throw error;
      return null;
    }
  });

  connection.onCodeAction((params, token) => provideCodeActions(ctx, params, token));

  // onDidChangeContent follows onDidOpen for a new document: scan it at once; after edits, debounce.
  const justOpened = new Set<string>();
  documents.onDidOpen(({ document }) => justOpened.add(document.uri));
  documents.onDidChangeContent(({ document }) => diagnostics.schedule(document, justOpened.delete(document.uri)));
  documents.onDidClose(({ document }) => {
    justOpened.delete(document.uri);
    diagnostics.close(document.uri);
    ctx.forget(document.uri);
  });

  documents.listen(connection);
  connection.listen();
}

/** RequestCancelled / ContentModified errors from the queue: the client should see them as such. */
function isDropped(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === -32800 || code === -32801;
}
