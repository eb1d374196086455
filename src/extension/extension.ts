/**
 * Extension entry point: wires the log, the language client, the commands and the status bar.
 * Everything else lives in its own module; activation errors are shown, then rethrown.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { StatusResult } from '../protocol';
import { registerCommands } from './commands';
import { Config } from './config';
import { Ctx } from './context';
import { watchModelErrors } from './error-notices';
import { BertLensPanel, registerPanelSerializer } from './panel';
import { showError } from './server-call';
import { createStatusBar } from './status-bar';

/** What `activate` returns: used by tests and by other extensions. */
export interface BertLensApi {
  /** Resolves once the server runs and its model is loaded. */
  ready(): Promise<StatusResult>;
  /** Process id of the running language server, if it is running. */
  serverPid(): number | undefined;
  readonly client: LanguageClient | undefined;
  /** The open panel's text and whether it follows the selection; undefined when no panel is open. */
  panelState(): { text: string | undefined; pinned: boolean } | undefined;
}

let ctx: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<BertLensApi> {
  const log = vscode.window.createOutputChannel('BERT Lens', { log: true });
  ctx = new Ctx(context, log);
  const current = ctx;
  context.subscriptions.push(log, current, createStatusBar(current), watchModelErrors(current), ...registerCommands(current), registerPanelSerializer(current));
  // A restart nobody waits for must still report its failure.
  const restart = (why: string) =>
    current.restart().catch((error: unknown) => showError(current, `the server failed to restart after ${why}: ${(error as Error).message}`));
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!Config.needsRestart(event)) return;
      log.info('Settings changed; restarting the server.');
      void restart('a settings change');
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void restart('the workspace was trusted')),
  );
  try {
    await current.start();
  } catch (error) {
    showError(current, `the language server failed to start: ${(error as Error).message}`);
    throw error;
  }
  return {
    ready: () => current.ready(),
    serverPid: () => current.serverStatus?.pid,
    get client() {
      return current.languageClient;
    },
    panelState: () => {
      const panel = BertLensPanel.instance;
      return panel && { text: panel.text, pinned: panel.isPinned };
    },
  };
}

export async function deactivate(): Promise<void> {
  await ctx?.stop();
  ctx = undefined;
}
