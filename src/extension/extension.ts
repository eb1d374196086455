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
import { BertLensPanel, registerPanelSerializer } from './panel';
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
  context.subscriptions.push(log, current, createStatusBar(current), ...registerCommands(current), registerPanelSerializer(current));
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!Config.needsRestart(event)) return;
      log.info('Settings changed; restarting the server.');
      await current.restart();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void current.restart()),
  );
  try {
    await current.start();
  } catch (error) {
    const message = `BERT Lens: the language server failed to start: ${(error as Error).message}`;
    log.error(message);
    void vscode.window.showErrorMessage(message, 'Show Log').then((choice) => choice && log.show());
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
