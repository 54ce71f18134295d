import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Route = (
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
) => boolean | Promise<boolean>;

export interface FixtureServer {
  url: string;
  /** Requests seen, for asserting what the app sent (paths and headers). */
  requests: { path: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

/** A loopback HTTP server for test fixtures (styles, tiles, a geocoder), CORS open, routes in order. */
export async function startFixtureServer(routes: Route[]): Promise<FixtureServer> {
  const requests: FixtureServer['requests'] = [];
  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://fixture');
    requests.push({ path: `${url.pathname}${url.search}`, headers: request.headers });
    response.setHeader('Access-Control-Allow-Origin', '*');
    response.setHeader('Access-Control-Allow-Headers', '*');
    response.setHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Range, ETag');
    if (request.method === 'OPTIONS') {
      response.writeHead(204).end();
      return;
    }
    for (const route of routes) if (await route(request, response, url)) return;
    response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(response: ServerResponse, body: unknown, status = 200): true {
  response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  return true;
}

/** Serve bytes with HTTP byte ranges (PMTiles readers fetch ranges and require 206 answers). */
export function sendBytes(
  request: IncomingMessage,
  response: ServerResponse,
  bytes: Buffer,
  type: string,
): true {
  const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
  if (!range) {
    response.writeHead(200, {
      'Content-Type': type,
      'Content-Length': bytes.length,
      'Accept-Ranges': 'bytes',
    });
    response.end(bytes);
    return true;
  }
  const start = Number(range[1]);
  const end = Math.min(range[2] ? Number(range[2]) : bytes.length - 1, bytes.length - 1);
  const part = bytes.subarray(start, end + 1);
  response.writeHead(206, {
    'Content-Type': type,
    'Content-Length': part.length,
    'Content-Range': `bytes ${start}-${end}/${bytes.length}`,
    'Accept-Ranges': 'bytes',
  });
  response.end(part);
  return true;
}
