/**
 * The BERT Lens panel: one webview that shows, for a text, the input as BERT sees it, mask
 * predictions, coherence across sentence boundaries, classifier labels, unlikely words and
 * attention. Owns its webview (strict CSP, local resources only), the analysis runs it starts
 * (one at a time, the previous one cancelled) and following the editor selection when pinned.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import {
  AttentionRequest,
  ClassifyRequest,
  CoherenceRequest,
  FillMaskRequest,
  ListHeadsRequest,
  TokenizeRequest,
  UnlikelyWordsRequest,
  type HeadInfo,
} from '../protocol';
import type { Ctx } from './context';
import { formatOf, workspaceFolderPaths } from './editor-text';
import {
  SECTION_IDS,
  isFromPanelMessage,
  type FromPanelMessage,
  type PanelState,
  type SectionData,
  type SectionId,
  type SectionMessage,
  type SectionState,
  type ToPanelMessage,
} from './panel-messages';
import { describeError } from './server-call';

export const PANEL_VIEW_TYPE = 'bertLens.panel';
const FOLLOW_DEBOUNCE_MS = 500;
const ATTENTION_MAX_TOKENS = 48;
const MASK = '[MASK]';

/** Per section: the data it shows, or why it shows none. What `analyze` resolves to. */
export type PanelAnalysis = { [K in SectionId]?: { state: 'data'; data: SectionData[K] } | { state: 'error' | 'skipped'; message: string } };

/** What the webview reported drawing, per section (for tests). */
export type RenderedReport = { [K in SectionId]?: { state: SectionState; summary: string } };

export interface AnalyzeOptions {
  format?: 'plain' | 'markdown';
  /** Also list unlikely words (a scan of every word: slower). */
  unlikely?: boolean;
  /** Stops the run early (the panel also stops a run when a newer one starts). */
  token?: vscode.CancellationToken;
  /** Reported as sections finish. */
  progress?: vscode.Progress<{ message?: string; increment?: number }>;
}

export class BertLensPanel implements vscode.Disposable {
  private static current: BertLensPanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private run = 0;
  private runCancel: vscode.CancellationTokenSource | undefined;
  private source: Extract<ToPanelMessage, { type: 'source' }> | undefined;
  private readonly latest = new Map<SectionId, SectionMessage>();
  private readonly rendered = new Map<SectionId, { run: number; state: SectionState; summary: string }>();
  private readonly renderedEmitter = new vscode.EventEmitter<void>();
  private webviewReady = false;
  private pinned: boolean;
  private followTimer: NodeJS.Timeout | undefined;
  /** The classifier head the labels section uses; undefined = the model's own, else the first listed. */
  head: string | undefined;

  /** The open panel, if any. */
  static get instance(): BertLensPanel | undefined {
    return BertLensPanel.current;
  }

  /** Shows the panel, creating it beside the editor when there is none. */
  static createOrShow(ctx: Ctx, preserveFocus = false): BertLensPanel {
    if (BertLensPanel.current) {
      BertLensPanel.current.panel.reveal(undefined, preserveFocus);
      return BertLensPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      'BERT Lens',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
      webviewOptions(ctx.extensionContext.extensionUri),
    );
    BertLensPanel.current = new BertLensPanel(panel, ctx, {});
    return BertLensPanel.current;
  }

  /** Takes over a panel VS Code restored after a reload, and analyses its last text again. */
  static revive(panel: vscode.WebviewPanel, ctx: Ctx, state: PanelState | undefined): BertLensPanel {
    BertLensPanel.current?.dispose();
    panel.webview.options = webviewOptions(ctx.extensionContext.extensionUri);
    const revived = new BertLensPanel(panel, ctx, state ?? {});
    BertLensPanel.current = revived;
    const text = state?.text;
    if (text) {
      // The server may still be starting after the reload.
      void ctx.ready().then(
        () => revived.analyze(text, state?.origin ?? 'restored'),
        () => undefined,
      );
    }
    return revived;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly ctx: Ctx,
    state: PanelState,
  ) {
    this.pinned = state.pinned ?? ctx.config.panelFollowSelection;
    panel.iconPath = vscode.Uri.joinPath(ctx.extensionContext.extensionUri, 'media', 'bert-lens.svg');
    panel.webview.html = this.html();
    this.disposables.push(
      this.renderedEmitter,
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((message: unknown) => {
        if (isFromPanelMessage(message)) this.receive(message);
      }),
      vscode.window.onDidChangeTextEditorSelection((event) => this.selectionChanged(event)),
    );
  }

  get isPinned(): boolean {
    return this.pinned;
  }

  /** The text the panel currently describes. */
  get text(): string | undefined {
    return this.source?.text;
  }

  reveal(preserveFocus = true): void {
    this.panel.reveal(undefined, preserveFocus);
  }

  setPinned(pinned: boolean): void {
    this.pinned = pinned;
    if (this.source) this.post({ ...this.source, pinned });
  }

  /**
   * Analyses `text` section by section, drawing each as it arrives; a newer call cancels this
   * one. Resolves with every section's outcome (errors are shown in their section).
   */
  async analyze(text: string, origin: string, options: AnalyzeOptions = {}): Promise<PanelAnalysis> {
    this.runCancel?.cancel();
    const cancel = new vscode.CancellationTokenSource();
    this.runCancel = cancel;
    options.token?.onCancellationRequested(() => cancel.cancel());
    const token = cancel.token;
    const run = ++this.run;
    this.latest.clear();
    this.source = { type: 'source', run, text, origin, pinned: this.pinned };
    this.post(this.source);
    for (const id of SECTION_IDS) this.setSection(run, id, 'loading', 'Working…');

    const client = await this.ctx.whenRunning();
    const outcome: PanelAnalysis = {};
    const steps = this.steps(text, options);
    for (const [id, work] of steps) {
      if (token.isCancellationRequested) break;
      let result: SectionOutcome;
      if (client instanceof Error) {
        result = { state: 'error', message: client.message };
      } else {
        try {
          result = await work(client, token);
        } catch (error) {
          if (token.isCancellationRequested) break;
          result = { state: 'error', message: describeError(error) };
        }
      }
      if (token.isCancellationRequested) break;
      (outcome as Record<SectionId, SectionOutcome>)[id] = result;
      if (result.state === 'data') this.post({ type: 'section', run, id, state: 'data', data: result.data } as SectionMessage);
      else this.setSection(run, id, result.state, result.message);
      options.progress?.report({ message: `${id} done`, increment: 100 / steps.length });
    }
    if (token.isCancellationRequested && run === this.run) {
      for (const id of SECTION_IDS) if (!outcome[id]) this.setSection(run, id, 'skipped', 'Cancelled.');
    }
    cancel.dispose();
    if (this.runCancel === cancel) this.runCancel = undefined;
    return outcome;
  }

  /** Waits until the webview has drawn every section of the latest run (not just "loading"). */
  async waitForRendered(timeoutMs = 60_000): Promise<RenderedReport> {
    const done = () => SECTION_IDS.every((id) => {
      const entry = this.rendered.get(id);
      return entry && entry.run === this.run && entry.state !== 'loading';
    });
    if (!done()) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          listener.dispose();
          reject(new Error(`the panel did not draw every section within ${timeoutMs / 1000} s`));
        }, timeoutMs);
        const listener = this.renderedEmitter.event(() => {
          if (!done()) return;
          clearTimeout(timer);
          listener.dispose();
          resolve();
        });
      });
    }
    const report: RenderedReport = {};
    for (const [id, entry] of this.rendered) report[id] = { state: entry.state, summary: entry.summary };
    return report;
  }

  dispose(): void {
    if (BertLensPanel.current === this) BertLensPanel.current = undefined;
    this.runCancel?.cancel();
    clearTimeout(this.followTimer);
    this.panel.dispose();
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
  }

  /** The requests behind each section, in the order they are drawn. */
  private steps(text: string, options: AnalyzeOptions): Array<[SectionId, SectionWork]> {
    const format = options.format ?? 'plain';
    const config = this.ctx.config;
    return [
      ['input', async (client, token) => ({ state: 'data', data: await client.sendRequest(TokenizeRequest, { text }, token) })],
      [
        'masks',
        async (client, token) =>
          text.includes(MASK)
            ? { state: 'data', data: { ...(await client.sendRequest(FillMaskRequest, { text, topK: config.topK }, token)), text } }
            : { state: 'skipped', message: 'No [MASK] in this text. Write [MASK] where a word should be predicted.' },
      ],
      [
        'labels',
        async (client, token) => {
          const head = this.head ?? (await defaultHead(await client.sendRequest(ListHeadsRequest, { workspaceFolders: workspaceFolderPaths() }, token)));
          if (!head) {
            return { state: 'skipped', message: 'This model has no classifier. Train one with "BERT Lens: Train Classifier from File…".' };
          }
          const result = await client.sendRequest(ClassifyRequest, { text, head, workspaceFolders: workspaceFolderPaths() }, token);
          return { state: 'data', data: { ...result, head } };
        },
      ],
      [
        'coherence',
        async (client, token) => {
          try {
            const result = await client.sendRequest(CoherenceRequest, { text, format, acrossParagraphs: true }, token);
            return { state: 'data', data: { ...result, weakThreshold: config.diagnostics.weakTransitionThreshold } };
          } catch (error) {
            // One sentence is not a failure: there is just no boundary to score.
            if (error instanceof Error && /at least two sentences/i.test(error.message)) return { state: 'skipped', message: error.message };
            throw error;
          }
        },
      ],
      [
        'unlikely',
        async (client, token) =>
          options.unlikely
            ? {
                state: 'data',
                data: await client.sendRequest(
                  UnlikelyWordsRequest,
                  { text, format, threshold: config.diagnostics.unlikelyWordThreshold, max: config.diagnostics.maxPerFile },
                  token,
                ),
              }
            : { state: 'skipped', message: 'Run "BERT Lens: Analyze Document" to list the words the model finds unlikely.' },
      ],
      ['attention', async (client, token) => ({ state: 'data', data: await client.sendRequest(AttentionRequest, { text, maxTokens: ATTENTION_MAX_TOKENS }, token) })],
    ];
  }

  private setSection(run: number, id: SectionId, state: 'loading' | 'error' | 'skipped', message: string): void {
    this.post({ type: 'section', run, id, state, message } as SectionMessage);
  }

  private post(message: ToPanelMessage): void {
    if (message.type === 'section') this.latest.set(message.id, message);
    if (this.webviewReady) void this.panel.webview.postMessage(message);
  }

  private receive(message: FromPanelMessage): void {
    switch (message.type) {
      case 'ready':
        // A fresh (or reloaded) webview: replay what it should show.
        this.webviewReady = true;
        if (this.source) void this.panel.webview.postMessage({ ...this.source, pinned: this.pinned });
        for (const section of this.latest.values()) void this.panel.webview.postMessage(section);
        break;
      case 'setPinned':
        this.pinned = message.pinned;
        break;
      case 'refresh':
        if (this.source) void this.analyze(this.source.text, this.source.origin);
        break;
      case 'rendered':
        this.rendered.set(message.id, { run: message.run, state: message.state, summary: message.summary });
        this.renderedEmitter.fire();
        break;
    }
  }

  /** When pinned, analyse the new selection once it has stopped changing. */
  private selectionChanged(event: vscode.TextEditorSelectionChangeEvent): void {
    if (!this.pinned || event.textEditor.document.uri.scheme === 'output') return;
    clearTimeout(this.followTimer);
    this.followTimer = setTimeout(() => {
      const { document, selection } = event.textEditor;
      // Unpinned meanwhile (e.g. by Analyze Document), or nothing selected.
      if (!this.pinned || selection.isEmpty) return;
      const text = document.getText(selection);
      if (text.trim() === '' || text === this.source?.text || text.length > this.ctx.config.maxTextLength) return;
      const name = document.uri.path.split('/').pop() ?? document.uri.toString();
      void this.analyze(text, `selection in ${name}`, { format: formatOf(document) });
    }, FOLLOW_DEBOUNCE_MS);
  }

  private html(): string {
    const webview = this.panel.webview;
    const media = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(this.ctx.extensionContext.extensionUri, 'media', file));
    const nonce = randomBytes(16).toString('base64');
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `img-src ${webview.cspSource} data:`,
      `font-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    const sections: Record<SectionId, string> = {
      input: 'Input as BERT sees it',
      masks: 'Mask predictions',
      labels: 'Classifier labels',
      coherence: 'Coherence across sentence boundaries',
      unlikely: 'Unlikely words',
      attention: 'Attention',
    };
    const order: SectionId[] = ['input', 'masks', 'labels', 'coherence', 'unlikely', 'attention'];
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${media('panel.css')}">
<title>BERT Lens</title>
</head>
<body>
<header class="toolbar">
  <div class="source" id="source" aria-live="polite">Select text in an editor, or run a BERT Lens command.</div>
  <button id="pin" type="button" aria-pressed="false" title="Follow the editor selection">Follow selection</button>
  <button id="refresh" type="button" title="Analyse the text again">Refresh</button>
</header>
<main>
${order
  .map(
    (id) => `<section id="section-${id}" class="section" data-state="empty" aria-labelledby="heading-${id}">
  <h2 id="heading-${id}">${sections[id]}</h2>
  <div class="body" id="body-${id}"><p class="note">Nothing yet.</p></div>
</section>`,
  )
  .join('\n')}
</main>
<script nonce="${nonce}" src="${media('panel.js')}"></script>
</body>
</html>`;
  }
}

type SectionOutcome = { state: 'data'; data: SectionData[SectionId] } | { state: 'error' | 'skipped'; message: string };
type SectionWork = (client: NonNullable<Ctx['languageClient']>, token: vscode.CancellationToken) => Promise<SectionOutcome>;

/** The model's own classifier if it has one, else the first head listed. */
function defaultHead(heads: HeadInfo[]): string | undefined {
  return (heads.find((head) => head.source === 'model') ?? heads[0])?.name;
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableFindWidget: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

/** Registers the serializer that restores the panel after a window reload. */
export function registerPanelSerializer(ctx: Ctx): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
      BertLensPanel.revive(panel, ctx, (state ?? undefined) as PanelState | undefined);
    },
  });
}
