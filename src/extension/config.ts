/**
 * Typed access to the `bertLens.*` settings, honouring workspace trust: in an untrusted
 * workspace, workspace-level model settings are ignored (only user settings count).
 */
import * as vscode from 'vscode';
import { DEFAULT_SETTINGS, type BertLensSettings, type ExecutionProviderSetting } from '../protocol';

/** Settings whose change needs a server restart (the model and session are built at start). */
export const RESTART_KEYS = ['bertLens.model', 'bertLens.hub', 'bertLens.executionProvider', 'bertLens.maxTextLength', 'bertLens.hover.enabled', 'bertLens.topK'];

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

  /** The settings the server is started with. */
  serverSettings(): BertLensSettings {
    return {
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
