/**
 * BERT Lens: Select Model… and Import Model from Hugging Face…: choose a model (bundled,
 * recent, a local folder, a Hub id), store it in the user's `bertLens.model`, and wait with
 * progress until the restarted server reports the model ready. Recent choices live in
 * globalState. Failures are notifications with Show Log / Select Model / Restart Server.
 */
import * as vscode from 'vscode';
import { BUNDLED_MODELS, DEFAULT_MODEL } from '../../protocol/bundled-models';
import { parseHubId } from '../../protocol/hub-id';
import type { StatusResult } from '../../protocol';
import type { Ctx } from '../context';
import { showError } from '../server-call';
import type { CommandFactory } from './types';

const RECENT_KEY = 'bertLens.recentModels';
const MAX_RECENT = 5;
/** A Hub download and ONNX compile of a base-size model can take minutes on a slow line. */
const HUB_READY_TIMEOUT_MS = 30 * 60_000;
const LOCAL_READY_TIMEOUT_MS = 5 * 60_000;

export interface SelectModelArgs {
  /** The model spec (bundled name, folder path, Hub id) instead of the Quick Pick. */
  model?: string;
}

export const selectModel: CommandFactory = (ctx) => async (args?: SelectModelArgs): Promise<StatusResult | undefined> => {
  const spec = typeof args?.model === 'string' ? args.model : await pickModel(ctx);
  if (spec === undefined) return undefined;
  return switchModel(ctx, spec);
};

export interface ImportModelArgs {
  /** A Hub id (`org/name[@revision]`) instead of the input box. */
  id?: string;
}

export const importModel: CommandFactory = (ctx) => async (args?: ImportModelArgs): Promise<StatusResult | undefined> => {
  const id = typeof args?.id === 'string' ? args.id : await askHubId();
  if (id === undefined) return undefined;
  const problem = hubIdProblem(id);
  if (problem) {
    showError(ctx, problem);
    return undefined;
  }
  return switchModel(ctx, id.trim());
};

type ModelItem = vscode.QuickPickItem & { spec?: string; action?: 'folder' | 'hub' };

async function pickModel(ctx: Ctx): Promise<string | undefined> {
  const current = ctx.config.model || DEFAULT_MODEL;
  const mark = (spec: string) => (spec === current ? ' · current' : '');
  const bundled = Object.keys(BUNDLED_MODELS);
  const recent = recentModels(ctx).filter((spec) => !bundled.includes(spec));
  const items: ModelItem[] = [
    { label: 'Bundled', kind: vscode.QuickPickItemKind.Separator },
    ...bundled.map((name) => ({
      label: `$(package) ${name}`,
      description: `bundled${name === DEFAULT_MODEL ? ' · default' : ''}${mark(name)}`,
      spec: name,
    })),
    ...(recent.length > 0 ? [{ label: 'Recent', kind: vscode.QuickPickItemKind.Separator } as ModelItem] : []),
    ...recent.map((spec) => ({ label: `$(history) ${spec}`, description: `recent${mark(spec)}`, spec })),
    { label: 'Other', kind: vscode.QuickPickItemKind.Separator },
    { label: '$(folder-opened) A local folder…', description: 'config.json + vocab.txt + model.onnx, or a Hugging Face checkpoint', action: 'folder' },
    { label: '$(cloud-download) A Hugging Face Hub id…', description: 'org/name[@revision], downloaded and compiled once', action: 'hub' },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: 'BERT Lens: Select Model',
    placeHolder: `Current: ${current}`,
    matchOnDescription: true,
  });
  if (!picked) return undefined;
  if (picked.spec !== undefined) return picked.spec;
  if (picked.action === 'folder') {
    const folder = await vscode.window.showOpenDialog({
      title: 'BERT Lens: a model folder',
      canSelectFiles: false,
      canSelectFolders: true,
      canSelectMany: false,
      openLabel: 'Use This Model',
    });
    return folder?.[0]?.fsPath;
  }
  return askHubId();
}

function askHubId(): Thenable<string | undefined> {
  return vscode.window.showInputBox({
    title: 'BERT Lens: Import Model from Hugging Face',
    prompt: 'A Hub model id: org/name, optionally @revision (a branch, tag or commit)',
    placeHolder: 'google-bert/bert-base-uncased',
    validateInput: (value) => hubIdProblem(value),
  });
}

/** Why `text` is not a Hub id, or undefined when it is one. */
export function hubIdProblem(text: string): string | undefined {
  if (text.trim() === '') return 'Type a Hub id such as google-bert/bert-base-uncased';
  try {
    parseHubId(text);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function recentModels(ctx: Ctx): string[] {
  const value = ctx.extensionContext.globalState.get<unknown>(RECENT_KEY, []);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

async function rememberModel(ctx: Ctx, spec: string): Promise<void> {
  const recent = [spec, ...recentModels(ctx).filter((s) => s !== spec)].slice(0, MAX_RECENT);
  await ctx.extensionContext.globalState.update(RECENT_KEY, recent);
}

/**
 * Stores `spec` in the user settings, lets the configuration change restart the server (or
 * restarts it when the value is unchanged), and waits with progress until the model is ready.
 */
export async function switchModel(ctx: Ctx, spec: string): Promise<StatusResult | undefined> {
  const name = spec || DEFAULT_MODEL;
  const section = vscode.workspace.getConfiguration('bertLens');
  const inspected = section.inspect<string>('model');
  if (vscode.workspace.isTrusted && (inspected?.workspaceValue !== undefined || inspected?.workspaceFolderValue !== undefined)) {
    void vscode.window.showWarningMessage(
      'BERT Lens: this workspace sets bertLens.model, which overrides the user setting just changed. Remove it from the workspace settings to use the model you selected.',
    );
  }
  const startsBefore = ctx.startCount;
  try {
    if ((inspected?.globalValue ?? '') === spec) await ctx.restart();
    // '' (the default model) removes the user setting rather than writing an empty string.
    else await section.update('model', spec === '' ? undefined : spec, vscode.ConfigurationTarget.Global);
  } catch (error) {
    showError(ctx, `could not switch to ${name}: ${(error as Error).message}`);
    return undefined;
  }
  const timeout = parseHubIdSafe(spec) ? HUB_READY_TIMEOUT_MS : LOCAL_READY_TIMEOUT_MS;
  try {
    const status = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `BERT Lens: loading ${name}…`, cancellable: false },
      () => ctx.readyAfterStart(startsBefore, timeout),
    );
    await rememberModel(ctx, spec || DEFAULT_MODEL);
    void vscode.window.showInformationMessage(`BERT Lens: now using ${status.model} on ${status.executionProvider ?? 'an unknown provider'}.`);
    return status;
  } catch (error) {
    // A model that failed to load was already reported (error-notices.ts); a timeout was not.
    if (ctx.serverStatus?.state !== 'error') showError(ctx, `the model ${name} could not be loaded: ${(error as Error).message}`);
    return undefined;
  }
}

function parseHubIdSafe(spec: string): boolean {
  if (/^[./\\~]/.test(spec) || Object.hasOwn(BUNDLED_MODELS, spec)) return false;
  return hubIdProblem(spec) === undefined && spec.includes('/');
}
