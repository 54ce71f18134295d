import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { AddressPolicy } from './address-policy.ts';

export interface SafeFetchLimits {
  /** The whole exchange, redirects included. */
  timeoutMs: number;
  maxBodyBytes: number;
  maxRedirects: number;
}

export const DEFAULT_FETCH_LIMITS: SafeFetchLimits = {
  timeoutMs: 10_000,
  maxBodyBytes: 2 * 1024 * 1024,
  maxRedirects: 5,
};

export interface SafeResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The URL that answered, after redirects. */
  url: string;
}

/** Why a fetch of a user-supplied URL failed, in words fit for a layer's status line. */
export class FetchRefused extends Error {
  override name = 'FetchRefused';
  constructor(
    readonly reason:
      | 'scheme'
      | 'credentials'
      | 'address'
      | 'dns'
      | 'redirects'
      | 'too-large'
      | 'timeout'
      | 'network',
    message: string,
  ) {
    super(message);
  }
}

/**
 * A DNS lookup that refuses addresses the policy forbids. It runs at connect time, for every
 * connection (each redirect hop too), so a name cannot resolve to a public address when checked
 * and to a private one when used (DNS rebinding).
 */
function guardedLookup(policy: AddressPolicy, host: string): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as LookupAddress[];
      const allowed = list.filter((entry) => policy.allows(host, entry.address));
      if (allowed.length === 0) {
        const refused = new FetchRefused(
          'address',
          `${host} resolves to ${list.map((e) => e.address).join(', ')}, which is not a public address`,
        );
        return callback(refused as NodeJS.ErrnoException, '', 0);
      }
      if (options.all) return callback(null, allowed);
      const first = allowed[0] as LookupAddress;
      return callback(null, first.address, first.family);
    });
  };
}

function once(
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: Buffer },
  policy: AddressPolicy,
  limits: SafeFetchLimits,
  signal: AbortSignal,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    // A literal IP skips DNS, so it is judged here.
    if (isIP(host) !== 0 && !policy.allows(host, host)) {
      reject(new FetchRefused('address', `${host} is not a public address`));
      return;
    }
    const options: RequestOptions = {
      method: init.method,
      headers: init.headers,
      lookup: guardedLookup(policy, host),
      signal,
    };
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limits.maxBodyBytes) {
          response.destroy();
          reject(new FetchRefused('too-large', `the response is over ${limits.maxBodyBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
      response.on('error', reject);
    });
    request.on('error', (error) => {
      if (error instanceof FetchRefused) reject(error);
      else if (signal.aborted) reject(new FetchRefused('timeout', `no answer within ${limits.timeoutMs} ms`));
      else reject(new FetchRefused('network', error.message));
    });
    request.end(init.body);
  });
}

/**
 * Fetch a URL someone typed, without letting it reach inside the network: http(s) only, every
 * hop's address checked by the policy (redirects are followed here, never by the HTTP client),
 * and the body and total time capped.
 */
export async function safeFetch(
  input: string,
  policy: AddressPolicy,
  init: { method?: string; headers?: Record<string, string>; body?: Buffer } = {},
  limits: SafeFetchLimits = DEFAULT_FETCH_LIMITS,
): Promise<SafeResponse> {
  const signal = AbortSignal.timeout(limits.timeoutMs);
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new FetchRefused('scheme', `"${input}" is not a URL`);
  }
  let method = init.method ?? 'GET';
  let body = init.body;
  for (let hop = 0; ; hop++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new FetchRefused('scheme', `only http and https URLs can be fetched, not ${url.protocol}`);
    }
    // Node's HTTP client would send userinfo as Basic auth. The protocol refuses it in layer URLs;
    // this also covers a redirect or a discovered hub that carries it, and layers stored earlier.
    if (url.username || url.password) {
      throw new FetchRefused(
        'credentials',
        `URLs with credentials (user:password@) are not fetched (${url.host})`,
      );
    }
    const response = await once(url, { method, headers: init.headers ?? {}, body }, policy, limits, signal);
    const location = response.headers.location;
    if (response.status < 300 || response.status >= 400 || !location)
      return { ...response, url: url.toString() };
    if (hop >= limits.maxRedirects)
      throw new FetchRefused('redirects', `more than ${limits.maxRedirects} redirects`);
    url = new URL(location, url);
    // 303, and 301/302 after a POST, turn into a GET (as browsers do).
    if (
      response.status === 303 ||
      ((response.status === 301 || response.status === 302) && method === 'POST')
    ) {
      method = 'GET';
      body = undefined;
    }
  }
}
