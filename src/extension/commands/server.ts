/**
 * Server and log commands: Show Log, Restart Server, and Open Example (used by the walkthrough
 * to open a file of the extension's examples/ folder).
 */
import * as vscode from 'vscode';
import { showError } from '../server-call';
import type { CommandFactory } from './types';

export const showLog: CommandFactory = (ctx) => () => ctx.log.show(true);

export const restartServer: CommandFactory = (ctx) => async () => {
  try {
    await ctx.restart();
    ctx.log.info('Server restarted.');
  } catch (error) {
    showError(ctx, `the server failed to restart: ${(error as Error).message}`);
  }
};

/** Opens `examples/<name>` of the extension (the walkthrough's sample files). */
export const openExample: CommandFactory = (ctx) => async (name?: string): Promise<vscode.TextEditor | undefined> => {
  if (typeof name !== 'string' || !/^[\w.-]+$/.test(name)) {
    showError(ctx, `no such example: ${String(name)}`);
    return undefined;
  }
  const uri = vscode.Uri.joinPath(ctx.extensionContext.extensionUri, 'examples', name);
  try {
    const document = await vscode.workspace.openTextDocument(uri);
    return await vscode.window.showTextDocument(document, { preview: false });
  } catch (error) {
    showError(ctx, `could not open the example ${name}: ${(error as Error).message}`);
    return undefined;
  }
};
