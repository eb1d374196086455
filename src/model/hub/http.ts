/**
 * HTTP(S) requests for Hub downloads on Node's own http / https modules: redirects followed by
 * hand so the Authorization header only ever goes to the Hub's origin (never to the CDN host
 * the Hub redirects large files to), an idle timeout, AbortSignal support, and connection
 * failures turned into HubError('network') naming the host that could not be reached.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import * as http from 'node:http';
import * as https from 'node:https';
import { errorCode, HubError, isNetworkFailure } from './errors';

const MAX_REDIRECTS = 5;
const USER_AGENT = 'bert-lens (model import; node)';

export interface HttpRequestOptions {
  method: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  /** Sent as `Authorization: Bearer …`, only to `tokenOrigin`. */
  token?: string;
  tokenOrigin: string;
  signal?: AbortSignal;
  /** Idle time (no connection, no bytes) after which the request fails. */
  timeoutMs: number;
  /**
   * `all`: follow every redirect. `same-origin`: follow redirects within the first URL's
   * origin only and return the first redirect to another origin as the answer (the Hub puts
   * the LFS size and hash on that redirect).
   */
  redirects: 'all' | 'same-origin';
}

/** One answer after redirects; `body` must be consumed or destroyed by the caller. */
export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  url: URL;
  body: IncomingMessage;
  /** Every URL requested, first to last, with the Authorization decision (for diagnostics). */
  hops: Array<{ url: string; status: number; sentAuthorization: boolean }>;
}

/** A single header value as text (first one when repeated). */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Turns a connection failure into HubError('network'); other errors pass through. */
export function asNetworkError(error: unknown, url: URL, signal?: AbortSignal): unknown {
  if (signal?.aborted) return abortError(signal);
  if (error instanceof HubError) return error;
  if (!isNetworkFailure(error)) return error;
  const code = errorCode(error) ?? (error as Error).message;
  return new HubError('network', `Cannot reach ${url.origin} (${code}).`, { cause: error });
}

export function abortError(signal: AbortSignal): HubError {
  const reason = signal.reason instanceof Error ? signal.reason.message : undefined;
  return new HubError('aborted', `Download cancelled${reason && !/aborted/i.test(reason) ? `: ${reason}` : ''}.`, {
    cause: signal.reason,
  });
}

function requestOnce(
  url: URL,
  method: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const timeoutError = () =>
      new HubError('network', `No answer from ${url.origin} within ${Math.round(timeoutMs / 1000)} s (timeout).`);
    let response: IncomingMessage | undefined;
    const request = client.request(url, { method, headers, signal }, (answer) => {
      response = answer;
      resolve(answer);
    });
    // One idle timer for the whole exchange: before the answer it fails the request, after it
    // the body stream (which the caller is reading).
    request.setTimeout(timeoutMs, () => {
      if (response) response.destroy(timeoutError());
      else request.destroy(timeoutError());
    });
    request.on('error', (error) => reject(asNetworkError(error, url, signal)));
    request.end();
  });
}

/** Sends one request and follows redirects as `options.redirects` says. */
export async function httpRequest(startUrl: URL, options: HttpRequestOptions): Promise<HttpResponse> {
  let url = startUrl;
  const hops: HttpResponse['hops'] = [];
  for (let hop = 0; ; hop++) {
    if (options.signal?.aborted) throw abortError(options.signal);
    const sendAuthorization = options.token !== undefined && url.origin === options.tokenOrigin;
    const headers: Record<string, string> = {
      'user-agent': USER_AGENT,
      // Exact byte counts and hashes need the bytes as stored, never a compressed variant.
      'accept-encoding': 'identity',
      ...options.headers,
    };
    if (sendAuthorization) headers.authorization = `Bearer ${options.token}`;
    const response = await requestOnce(url, options.method, headers, options.timeoutMs, options.signal);
    const status = response.statusCode ?? 0;
    hops.push({ url: url.href, status, sentAuthorization: sendAuthorization });
    const location = header(response.headers, 'location');
    if (status < 300 || status >= 400 || status === 304 || location === undefined) {
      return { status, headers: response.headers, url, body: response, hops };
    }
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      response.destroy();
      throw new HubError('invalid', `${url.origin} redirected to an invalid address: ${location}`);
    }
    if (next.protocol !== 'https:' && next.protocol !== 'http:') {
      response.destroy();
      throw new HubError('invalid', `${url.origin} redirected to an unsupported address: ${next.protocol}`);
    }
    if (options.redirects === 'same-origin' && next.origin !== startUrl.origin) {
      return { status, headers: response.headers, url, body: response, hops };
    }
    response.resume();
    if (hop + 1 >= MAX_REDIRECTS) throw new HubError('failed', `Too many redirects from ${startUrl.href}.`);
    url = next;
  }
}
