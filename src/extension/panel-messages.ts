/**
 * The messages between the extension and the BERT Lens panel's webview (media/panel.js), as
 * typed unions. The extension sends one `section` message per analysis section as its state
 * changes; the webview answers `rendered` once it has drawn it (tests wait for that).
 */
import type {
  AttentionResult,
  ClassifyResult,
  CoherenceResult,
  FillMaskResult,
  TokenizeResult,
  UnlikelyWordsResult,
} from '../protocol';

/** The panel's sections, top to bottom. */
export const SECTION_IDS = ['input', 'masks', 'coherence', 'labels', 'unlikely', 'attention'] as const;
export type SectionId = (typeof SECTION_IDS)[number];

/** What each section draws. */
export interface SectionData {
  input: TokenizeResult;
  masks: FillMaskResult & { text: string };
  coherence: CoherenceResult & { weakThreshold: number };
  labels: ClassifyResult & { head: string };
  unlikely: UnlikelyWordsResult;
  attention: AttentionResult;
}

/** `loading`: a request is running; `skipped`: nothing to show for this text (message says why). */
export type SectionMessage = {
  [K in SectionId]:
    | { type: 'section'; run: number; id: K; state: 'data'; data: SectionData[K] }
    | { type: 'section'; run: number; id: K; state: 'loading' | 'error' | 'skipped'; message: string };
}[SectionId];

export type SectionState = 'data' | 'loading' | 'error' | 'skipped';

/** extension → webview */
export type ToPanelMessage =
  /** The text the sections describe, where it came from, and whether the panel follows the selection. */
  | { type: 'source'; run: number; text: string; origin: string; pinned: boolean }
  | SectionMessage;

/** webview → extension */
export type FromPanelMessage =
  /** The script has loaded and listens. */
  | { type: 'ready' }
  /** The pin button: follow the editor selection or stay on the current text. */
  | { type: 'setPinned'; pinned: boolean }
  /** Run the analysis of the current text again. */
  | { type: 'refresh' }
  /** A section was drawn: `summary` is a short text of what it shows (for tests and screen readers). */
  | { type: 'rendered'; run: number; id: SectionId; state: SectionState; summary: string };

/** What the webview keeps across reloads (vscode.getState/setState) and hands to the serializer. */
export interface PanelState {
  text?: string;
  origin?: string;
  pinned?: boolean;
}

export function isFromPanelMessage(value: unknown): value is FromPanelMessage {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'ready' || type === 'setPinned' || type === 'refresh' || type === 'rendered';
}
