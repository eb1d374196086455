/**
 * Process entry of the language server (dist/server.js): started by the extension over Node IPC,
 * or by `bert-lens serve --stdio` for other editors. A fatal error is logged, then the process
 * exits so that the client's error handler can restart it.
 */
import { resolve } from 'node:path';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './server';

export function main(packageRoot: string): void {
  const connection = createConnection(ProposedFeatures.all);
  process.on('uncaughtException', (error) => {
    connection.console.error(`Fatal: ${error.stack ?? error.message}`);
    process.exit(1);
  });
  startServer(connection, packageRoot);
}

if (require.main === module) main(resolve(__dirname, '..'));
