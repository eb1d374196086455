/**
 * Running one piece of server work for a command: checks that the server is up, shows progress
 * (cancellable when asked, the token reaches `sendRequest`), and turns every failure into a
 * notification with actions (Show Log, Select Model, Restart Server). Returns undefined when
 * the work failed or was cancelled, so no command fails silently and none throws at the user.
 */
import * as vscode from 'vscode';
import { ResponseError, type LanguageClient } from 'vscode-languageclient/node';
import type { Ctx } from './context';

/** JSON-RPC codes the client sees for a request nobody handles or one that was cancelled. */
const METHOD_NOT_FOUND = -32601;
const REQUEST_CANCELLED = -32800;

export interface ServerCallOptions {
  /** Progress title, e.g. "BERT Lens: checking coherence…". */
  title: string;
  /** A notification with a Cancel button (long work), or the status bar (quick work). */
  cancellable?: boolean;
}

export type ServerWork<R> = (
  client: LanguageClient,
  token: vscode.CancellationToken,
  progress: vscode.Progress<{ message?: string; increment?: number }>,
) => Promise<R>;

export async function callServer<R>(ctx: Ctx, options: ServerCallOptions, work: ServerWork<R>): Promise<R | undefined> {
  const client = await ctx.whenRunning();
  if (client instanceof Error) {
    showError(ctx, client.message);
    return undefined;
  }
  const location = options.cancellable ? vscode.ProgressLocation.Notification : vscode.ProgressLocation.Window;
  let cancelled = false;
  try {
    return await vscode.window.withProgress(
      { location, title: options.title, cancellable: options.cancellable ?? false },
      async (progress, token) => {
        token.onCancellationRequested(() => (cancelled = true));
        return work(client, token, progress);
      },
    );
  } catch (error) {
    if (cancelled || (error instanceof ResponseError && error.code === REQUEST_CANCELLED)) {
      ctx.log.info(`${options.title.replace(/…$/, '')}: cancelled.`);
      return undefined;
    }
    showError(ctx, describeError(error));
    return undefined;
  }
}

/** A person-readable message for a failed request. */
export function describeError(error: unknown): string {
  if (error instanceof ResponseError && error.code === METHOD_NOT_FOUND) {
    return `this version of the BERT Lens server cannot do that yet (${error.message}).`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Actions every BERT Lens error offers, and the commands they run. */
const ERROR_ACTIONS: Readonly<Record<string, string>> = {
  'Show Log': 'bertLens.showLog',
  'Select Model': 'bertLens.selectModel',
  'Restart Server': 'bertLens.restartServer',
};

/** Logs `message` and shows it as an error notification with the standard actions. */
export function showError(ctx: Ctx, message: string): void {
  const text = `BERT Lens: ${message}`;
  ctx.log.error(text);
  void vscode.window.showErrorMessage(text, ...Object.keys(ERROR_ACTIONS)).then((choice) => {
    if (choice) void vscode.commands.executeCommand(ERROR_ACTIONS[choice]);
  });
}
