/**
 * `bert-lens serve --stdio`: the language server over stdin/stdout for any LSP editor.
 */
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from '../server/server';
import { UsageError, type CommandContext } from './shared';

export async function runServe(args: string[], ctx: CommandContext): Promise<number> {
  if (!args.includes('--stdio')) throw new UsageError('only "serve --stdio" is supported');
  const connection = createConnection(ProposedFeatures.all, process.stdin, process.stdout);
  startServer(connection, ctx.packageRoot);
  // The connection keeps the process alive; it exits when the client sends `exit`.
  return new Promise<number>(() => undefined);
}
