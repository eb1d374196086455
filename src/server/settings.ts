/**
 * Settings as the server sees them: the `bertLens` section sent at initialize, and, when the
 * client supports `workspace/configuration`, the section pulled per document (one promise per
 * URI, cleared when the document closes or the configuration changes — as in the lsp-sample).
 * Whatever arrives is merged over the defaults field by field and sanitised.
 */
import type { Connection } from 'vscode-languageserver/node';
import { DEFAULT_SETTINGS, EXECUTION_PROVIDER_SETTINGS, type BertLensSettings, type DiagnosticSeverityName } from '../protocol';

/** Files above this many characters are not scanned unless the settings say otherwise. */
export const DEFAULT_MAX_FILE_SIZE = 200_000;

const SEVERITIES: readonly DiagnosticSeverityName[] = ['hint', 'information', 'warning', 'error'];

export class SettingsStore {
  private global: BertLensSettings;
  private readonly perDocument = new Map<string, Promise<BertLensSettings>>();
  /** Set after initialize from the client's capabilities. */
  canPull = false;

  constructor(
    private readonly connection: Connection,
    initial: unknown,
  ) {
    this.global = mergeSettings(initial);
  }

  /** The settings of initialize (model, execution provider: fixed for the life of the server). */
  get initial(): BertLensSettings {
    return this.global;
  }

  /** Settings for one document (its folder's and language's overrides when the client has them). */
  forDocument(uri: string): Promise<BertLensSettings> {
    if (!this.canPull) return Promise.resolve(this.global);
    let pending = this.perDocument.get(uri);
    if (!pending) {
      pending = this.connection.workspace
        .getConfiguration({ scopeUri: uri, section: 'bertLens' })
        .then((section: unknown) => (section ? mergeSettings(section) : this.global))
        .catch(() => this.global);
      this.perDocument.set(uri, pending);
    }
    return pending;
  }

  /** `workspace/didChangeConfiguration`: pushed settings replace the initial ones; cached ones are dropped. */
  changed(pushed: unknown): void {
    const section = (pushed as { bertLens?: unknown } | null)?.bertLens;
    if (section && typeof section === 'object') this.global = mergeSettings(section, this.global);
    this.perDocument.clear();
  }

  forget(uri: string): void {
    this.perDocument.delete(uri);
  }
}

/** `raw` (possibly partial, possibly wrong) over `base`, one level deep for the nested groups. */
export function mergeSettings(raw: unknown, base: BertLensSettings = DEFAULT_SETTINGS): BertLensSettings {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const group = <T extends object>(value: unknown, fallback: T): T =>
    ({ ...fallback, ...(value && typeof value === 'object' ? (value as Partial<T>) : {}) }) as T;
  const rawDiagnostics = (r.diagnostics && typeof r.diagnostics === 'object' ? r.diagnostics : {}) as Record<string, unknown>;
  const diagnostics = group(rawDiagnostics, base.diagnostics);
  // The single `severity` setting stands for both kinds unless a per-kind one is given.
  if (rawDiagnostics.severity !== undefined) {
    diagnostics.unlikelyWordSeverity = (rawDiagnostics.unlikelyWordSeverity ?? rawDiagnostics.severity) as DiagnosticSeverityName;
    diagnostics.weakTransitionSeverity = (rawDiagnostics.weakTransitionSeverity ?? rawDiagnostics.severity) as DiagnosticSeverityName;
  }
  const merged: BertLensSettings = {
    ...base,
    ...(r as Partial<BertLensSettings>),
    hover: group(r.hover, base.hover),
    hub: group(r.hub, base.hub),
    comments: group(r.comments, base.comments ?? { enabled: false }),
    diagnostics,
  };
  return sanitise(merged, base);
}

function sanitise(s: BertLensSettings, base: BertLensSettings): BertLensSettings {
  const number = (value: unknown, fallback: number, min: number, max: number) =>
    typeof value === 'number' && Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
  const severity = (value: unknown, fallback: DiagnosticSeverityName): DiagnosticSeverityName =>
    SEVERITIES.includes(value as DiagnosticSeverityName) ? (value as DiagnosticSeverityName) : fallback;
  const d = s.diagnostics;
  const bd = base.diagnostics;
  return {
    ...s,
    model: typeof s.model === 'string' ? s.model : base.model,
    executionProvider: EXECUTION_PROVIDER_SETTINGS.includes(s.executionProvider) ? s.executionProvider : base.executionProvider,
    topK: Math.round(number(s.topK, base.topK, 1, 50)),
    maxTextLength: Math.round(number(s.maxTextLength, base.maxTextLength, 1, 50_000_000)),
    languages: Array.isArray(s.languages) ? s.languages.filter((l): l is string => typeof l === 'string') : base.languages,
    hover: { enabled: s.hover.enabled !== false },
    comments: { enabled: s.comments?.enabled === true },
    diagnostics: {
      enabled: d.enabled === true,
      unlikelyWordThreshold: number(d.unlikelyWordThreshold, bd.unlikelyWordThreshold, 0, 1),
      weakTransitionThreshold: number(d.weakTransitionThreshold, bd.weakTransitionThreshold, 0, 1),
      unlikelyWordSeverity: severity(d.unlikelyWordSeverity ?? d.severity, bd.unlikelyWordSeverity ?? 'information'),
      weakTransitionSeverity: severity(d.weakTransitionSeverity ?? d.severity, bd.weakTransitionSeverity ?? 'hint'),
      maxPerFile: Math.round(number(d.maxPerFile, bd.maxPerFile, 0, 10_000)),
      debounceMs: Math.round(number(d.debounceMs, bd.debounceMs, 0, 60_000)),
      maxFileSize: Math.round(number(d.maxFileSize, bd.maxFileSize ?? DEFAULT_MAX_FILE_SIZE, 0, 50_000_000)),
      ignoredWords: Array.isArray(d.ignoredWords)
        ? d.ignoredWords.filter((w): w is string => typeof w === 'string' && w.trim() !== '').map((w) => w.trim())
        : (bd.ignoredWords ?? []),
    },
  };
}
