/**
 * Failures nobody asked about still reach the user: a model that fails to load (at start, after
 * a settings change or a restart) becomes one error notification per failure, with the usual
 * actions (Show Log, Select Model, Restart Server). Commands that wait for the model (Select
 * Model) rely on this notice instead of showing a second one.
 */
import type * as vscode from 'vscode';
import type { StatusResult } from '../protocol';
import type { Ctx } from './context';
import { showError } from './server-call';

/** The notification text for a model that failed to load. */
export function modelErrorMessage(status: StatusResult): string {
  return `the model ${status.model || status.modelPath} could not be loaded: ${status.error ?? 'unknown error'}`;
}

/** Shows an error notification each time the server's status turns to `error`. */
export function watchModelErrors(ctx: Ctx): vscode.Disposable {
  let wasError = ctx.serverStatus?.state === 'error';
  return ctx.onDidChangeStatus((status) => {
    const isError = status?.state === 'error';
    if (isError && !wasError) showError(ctx, modelErrorMessage(status));
    wasError = isError;
  });
}
