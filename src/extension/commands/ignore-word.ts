/**
 * Ignore Word: the "Ignore …" quick fix of an unlikely-word diagnostic (the server offers it and
 * names this command). Adds the word to `bertLens.diagnostics.ignoredWords` where the user will
 * look for it: the workspace folder's settings when the document is in a folder, else the
 * workspace's, else the user settings; the server then re-scans open documents. The document
 * itself is not touched; removing the word from the setting undoes it.
 */
import * as vscode from 'vscode';
import { showError } from '../server-call';
import type { CommandFactory } from './types';

const SETTING = 'diagnostics.ignoredWords';

/** Where a word ignored in `uri` is stored. */
function targetFor(uri: vscode.Uri | undefined): vscode.ConfigurationTarget {
  if (uri && vscode.workspace.getWorkspaceFolder(uri)) return vscode.ConfigurationTarget.WorkspaceFolder;
  return vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
}

/** Arguments: the word, and the URI (string) of the document it was found in. */
export const ignoreWord: CommandFactory = (ctx) => async (word?: unknown, documentUri?: unknown): Promise<vscode.ConfigurationTarget | undefined> => {
  if (typeof word !== 'string' || word.trim() === '') {
    showError(ctx, 'Ignore Word needs the word to ignore (it is run from the quick fix of an unlikely-word diagnostic).');
    return undefined;
  }
  const uri = typeof documentUri === 'string' ? vscode.Uri.parse(documentUri) : undefined;
  const target = targetFor(uri);
  const config = vscode.workspace.getConfiguration('bertLens', uri);
  const inspected = config.inspect<string[]>(SETTING);
  const current =
    target === vscode.ConfigurationTarget.WorkspaceFolder
      ? inspected?.workspaceFolderValue
      : target === vscode.ConfigurationTarget.Workspace
        ? inspected?.workspaceValue
        : inspected?.globalValue;
  const list = Array.isArray(current) ? current.filter((w) => typeof w === 'string') : [];
  const trimmed = word.trim();
  if (list.some((w) => w.toLocaleLowerCase() === trimmed.toLocaleLowerCase())) return target;
  try {
    await config.update(SETTING, [...list, trimmed], target);
    ctx.log.info(`"${trimmed}" added to bertLens.${SETTING} (${vscode.ConfigurationTarget[target]} settings).`);
    return target;
  } catch (error) {
    showError(ctx, `could not add "${trimmed}" to bertLens.${SETTING}: ${(error as Error).message}`);
    return undefined;
  }
};
