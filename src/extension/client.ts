/**
 * Creates the language client: how the server process is started (Node IPC, dist/server.js),
 * which documents it sees (`bertLens.languages`, plus code languages with
 * `bertLens.comments.enabled`), and how crashes are handled (restart, with a limit).
 */
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  TransportKind,
  type CloseHandlerResult,
  type DocumentSelector,
  type ErrorHandler,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { IGNORE_WORD_COMMAND, type InitializationOptions } from '../protocol';
import { documentLanguages } from '../protocol/comment-languages';
import type { Config } from './config';

/** The client restarts a crashed server, but not more than this many times in `CRASH_WINDOW_MS`. */
const MAX_RESTARTS = 5;
const CRASH_WINDOW_MS = 3 * 60_000;

export function createClient(context: vscode.ExtensionContext, config: Config, log: vscode.LogOutputChannel): LanguageClient {
  const module = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const initializationOptions: InitializationOptions = {
    settings: config.serverSettings(),
    extensionPath: context.extensionPath,
    ignoreWordCommand: IGNORE_WORD_COMMAND,
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: documentSelector(config),
    // The server may pull `bertLens` with workspace/configuration and is told when it changes.
    synchronize: { configurationSection: 'bertLens' },
    outputChannel: log,
    initializationOptions,
    errorHandler: new RestartingErrorHandler(log),
  };
  return new LanguageClient('bertLens', 'BERT Lens', serverOptions, clientOptions);
}

/**
 * The documents the server sees: every language in `bertLens.languages`; with
 * `bertLens.comments.enabled`, the code languages whose comments the server can find too (it
 * reads only their comments). A change of either setting restarts the client (config.ts
 * RESTART_KEYS), which builds the selector again.
 */
export function documentSelector(config: Pick<Config, 'languages' | 'commentsEnabled'>): DocumentSelector {
  return documentLanguages(config.languages, config.commentsEnabled).map((language) => ({ language }));
}

/** Restarts the server after a crash unless it crashes repeatedly; tells the user when it gives up. */
class RestartingErrorHandler implements ErrorHandler {
  private crashes: number[] = [];

  constructor(private readonly log: vscode.LogOutputChannel) {}

  error(): { action: ErrorAction } {
    return { action: ErrorAction.Continue };
  }

  closed(): CloseHandlerResult {
    const now = Date.now();
    this.crashes = [...this.crashes.filter((t) => now - t < CRASH_WINDOW_MS), now];
    if (this.crashes.length > MAX_RESTARTS) {
      const message = `The BERT Lens server stopped ${this.crashes.length} times in 3 minutes and will not be restarted. See the log, then run "BERT Lens: Restart Server".`;
      this.log.error(message);
      return { action: CloseAction.DoNotRestart, message };
    }
    this.log.warn('The BERT Lens server stopped unexpectedly; restarting it.');
    return { action: CloseAction.Restart, handled: true };
  }
}
