/**
 * The extension's running state, shared by commands and the status bar: the language client,
 * the log, the settings, and the server's last status. Starts, stops and restarts the client.
 */
import * as vscode from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import { StatusNotification, StatusRequest, type StatusResult } from '../protocol';
import { createClient } from './client';
import { Config } from './config';

export class Ctx implements vscode.Disposable {
  readonly config = new Config();
  private client: LanguageClient | undefined;
  private status: StatusResult | undefined;
  private readonly statusEmitter = new vscode.EventEmitter<StatusResult | undefined>();
  /** Fires whenever the server reports a status, and with `undefined` when it stops. */
  readonly onDidChangeStatus = this.statusEmitter.event;
  private starts = 0;
  private readonly startEmitter = new vscode.EventEmitter<number>();
  /** Fires with the new start count each time a server is started. */
  readonly onDidStart = this.startEmitter.event;

  constructor(
    readonly extensionContext: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
  ) {}

  get languageClient(): LanguageClient | undefined {
    return this.client;
  }

  get serverStatus(): StatusResult | undefined {
    return this.status;
  }

  /** The running client, or an Error saying why there is none. */
  runningClient(): LanguageClient | Error {
    if (!this.client) return new Error('The BERT Lens server is not started.');
    if (this.client.state === State.Stopped) return new Error('The BERT Lens server has stopped. Run "BERT Lens: Restart Server" to start it again.');
    if (this.client.state !== State.Running) return new Error('The BERT Lens server is starting or restarting; try again in a moment.');
    return this.client;
  }

  /**
   * The running client; while a (re)start is under way, waits for it (at most `timeoutMs`), so
   * a command run during a settings-triggered restart works instead of failing.
   */
  whenRunning(timeoutMs = 30_000): Promise<LanguageClient | Error> {
    const now = this.runningClient();
    const starting = !this.client || this.client.state === State.Starting;
    if (!(now instanceof Error) || !starting) return Promise.resolve(now);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        listener.dispose();
        resolve(this.runningClient());
      }, timeoutMs);
      const listener = this.onDidChangeStatus(() => {
        const client = this.runningClient();
        if (client instanceof Error) return;
        clearTimeout(timer);
        listener.dispose();
        resolve(client);
      });
    });
  }

  /** How many times a server was started (to wait for the one after a restart). */
  get startCount(): number {
    return this.starts;
  }

  private restarting: Promise<void> = Promise.resolve();

  async start(): Promise<void> {
    const client = createClient(this.extensionContext, this.config, this.log);
    this.client = client;
    this.startEmitter.fire(++this.starts);
    client.onNotification(StatusNotification, (status) => this.setStatus(status));
    client.onDidChangeState(({ newState }) => {
      if (newState === State.Running) void this.refreshStatus(client);
      else this.setStatus(undefined);
    });
    await client.start();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.setStatus(undefined);
    if (client) await client.dispose(2000);
  }

  /**
   * Stops the server and starts a new one. Restarts are queued: two settings changes in quick
   * succession used to interleave (the second stop found no client while the first start was
   * under way, and one client was replaced without being stopped, leaving its server running).
   */
  restart(): Promise<void> {
    const next = this.restarting.catch(() => undefined).then(async () => {
      await this.stop();
      await this.start();
    });
    this.restarting = next;
    return next;
  }

  /** Resolves once the server runs and its model is loaded; rejects if the model fails to load. */
  ready(timeoutMs = 120_000): Promise<StatusResult> {
    return new Promise((resolve, reject) => {
      const settle = (status: StatusResult | undefined): boolean => {
        if (status?.state === 'ready') resolve(status);
        else if (status?.state === 'error') reject(new Error(status.error ?? 'The model failed to load'));
        else return false;
        return true;
      };
      if (settle(this.status)) return;
      const timer = setTimeout(() => {
        listener.dispose();
        reject(new Error(`BERT Lens did not become ready within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const listener = this.onDidChangeStatus((status) => {
        if (settle(status)) {
          clearTimeout(timer);
          listener.dispose();
        }
      });
    });
  }

  /** Resolves once a server started after start number `startCount` is ready (see `ready`). */
  async readyAfterStart(startCount: number, timeoutMs = 300_000): Promise<StatusResult> {
    if (this.starts <= startCount) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          listener.dispose();
          reject(new Error(`the BERT Lens server did not restart within ${timeoutMs / 1000} s`));
        }, timeoutMs);
        const listener = this.onDidStart((count) => {
          if (count <= startCount) return;
          clearTimeout(timer);
          listener.dispose();
          resolve();
        });
      });
    }
    return this.ready(timeoutMs);
  }

  dispose(): void {
    void this.stop();
    this.statusEmitter.dispose();
    this.startEmitter.dispose();
  }

  private async refreshStatus(client: LanguageClient): Promise<void> {
    try {
      this.setStatus(await client.sendRequest(StatusRequest));
    } catch (error) {
      this.log.warn(`Could not read the server status: ${(error as Error).message}`);
    }
  }

  private setStatus(status: StatusResult | undefined): void {
    this.status = status;
    this.statusEmitter.fire(status);
  }
}
