/**
 * Typed access to the `bertLens.*` settings, honouring workspace trust: in an untrusted
 * workspace, workspace-level model settings are ignored (only user settings count).
 */
import * as vscode from 'vscode';
import { DEFAULT_SETTINGS, type BertLensSettings, type DiagnosticsSettings, type ExecutionProviderSetting } from '../protocol';

/** Settings whose change needs a server restart (the model and session are built at start). */
export const RESTART_KEYS = [
  'bertLens.model',
  'bertLens.hub',
  'bertLens.executionProvider',
  'bertLens.maxTextLength',
  'bertLens.hover.enabled',
  'bertLens.topK',
  // The client's documentSelector is built from these two.
  'bertLens.languages',
  'bertLens.comments.enabled',
];

/** Client-side settings not (yet) in the protocol's BertLensSettings; sent to the server too. */
export interface ClientSettings {
  /** Hovers in code comments (documents of other languages); the server decides what it does with it. */
  comments: { enabled: boolean };
  panel: { followSelection: boolean };
}

export class Config {
  private get section(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('bertLens');
  }

  get model(): string {
    return this.trustedValue('model');
  }

  /** A string setting; in an untrusted workspace only its user-level value counts. */
  private trustedValue(key: string): string {
    if (vscode.workspace.isTrusted) return this.section.get<string>(key, '');
    return this.section.inspect<string>(key)?.globalValue ?? '';
  }

  get executionProvider(): ExecutionProviderSetting {
    return this.section.get<ExecutionProviderSetting>('executionProvider', DEFAULT_SETTINGS.executionProvider);
  }

  get topK(): number {
    return this.section.get<number>('topK', DEFAULT_SETTINGS.topK);
  }

  get maxTextLength(): number {
    return this.section.get<number>('maxTextLength', DEFAULT_SETTINGS.maxTextLength);
  }

  get hoverEnabled(): boolean {
    return this.section.get<boolean>('hover.enabled', DEFAULT_SETTINGS.hover.enabled);
  }

  /** Languages whose documents the server sees (hovers, diagnostics). */
  get languages(): string[] {
    const value = this.section.get<unknown>('languages', DEFAULT_SETTINGS.languages);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : DEFAULT_SETTINGS.languages;
  }

  get commentsEnabled(): boolean {
    return this.section.get<boolean>('comments.enabled', false);
  }

  /** `bertLens.diagnostics.*` over the protocol's defaults (the server reads the same section). */
  get diagnostics(): DiagnosticsSettings {
    const value = this.section.get<Partial<DiagnosticsSettings>>('diagnostics', {});
    return { ...DEFAULT_SETTINGS.diagnostics, ...(value && typeof value === 'object' ? value : {}) };
  }

  /** Whether a pinned panel follows the editor selection. */
  get panelFollowSelection(): boolean {
    return this.section.get<boolean>('panel.followSelection', true);
  }

  /** The settings the server is started with. */
  serverSettings(): BertLensSettings & ClientSettings {
    return {
      languages: this.languages,
      comments: { enabled: this.commentsEnabled },
      diagnostics: this.diagnostics,
      panel: { followSelection: this.panelFollowSelection },
      model: this.model,
      executionProvider: this.executionProvider,
      topK: this.topK,
      maxTextLength: this.maxTextLength,
      hover: { enabled: this.hoverEnabled },
      hub: { endpoint: this.trustedValue('hub.endpoint'), token: this.section.get<string>('hub.token', '') },
    };
  }

  /** Whether a configuration change touches a setting that needs a server restart. */
  static needsRestart(event: vscode.ConfigurationChangeEvent): boolean {
    return RESTART_KEYS.some((key) => event.affectsConfiguration(key));
  }
}
