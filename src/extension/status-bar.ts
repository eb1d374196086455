/**
 * The status bar item: model · execution provider · last latency, or what is wrong; a click
 * opens Select Model.
 */
import * as vscode from 'vscode';
import type { StatusResult } from '../protocol';
import type { Ctx } from './context';

export function createStatusBar(ctx: Ctx): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('bertLens.status', vscode.StatusBarAlignment.Right, 100);
  item.name = 'BERT Lens';
  item.command = 'bertLens.selectModel';
  const render = (status: StatusResult | undefined) => {
    if (!status) {
      item.text = '$(circle-slash) BERT Lens';
      item.tooltip = 'BERT Lens: the server is not running';
    } else if (status.state === 'loading') {
      item.text = '$(loading~spin) BERT Lens';
      item.tooltip = `BERT Lens: loading ${status.model}…`;
    } else if (status.state === 'error') {
      item.text = '$(error) BERT Lens';
      item.tooltip = `BERT Lens: ${status.error ?? 'the model failed to load'} — click to select another model (the log has details)`;
    } else {
      const latency = status.lastLatencyMs === undefined ? '' : ` · ${Math.round(status.lastLatencyMs)} ms`;
      item.text = `$(sparkle) ${status.model} · ${status.executionProvider}${latency}`;
      item.tooltip = [
        `BERT Lens model: ${status.modelPath}`,
        `Execution provider: ${status.executionProvider}`,
        status.fallbackReason ? `Fallback: ${status.fallbackReason}` : '',
        'Click to select another model',
      ].filter(Boolean).join('\n');
    }
    item.show();
  };
  render(ctx.serverStatus);
  const listener = ctx.onDidChangeStatus(render);
  return vscode.Disposable.from(item, listener);
}
