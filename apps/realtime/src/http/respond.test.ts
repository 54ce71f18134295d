import { describe, expect, it } from 'vitest';
import { statusLine } from './respond.ts';

describe('statusLine', () => {
  it('uses the standard reason phrases, for every status the service answers', () => {
    expect([200, 201, 204, 400, 401, 403, 404, 410, 413, 415, 426, 503].map(statusLine)).toEqual([
      '200 OK',
      '201 Created',
      '204 No Content',
      '400 Bad Request',
      '401 Unauthorized',
      '403 Forbidden',
      '404 Not Found',
      '410 Gone',
      '413 Payload Too Large',
      '415 Unsupported Media Type',
      '426 Upgrade Required',
      '503 Service Unavailable',
    ]);
  });

  it('still writes a valid status line for a code without a standard phrase', () => {
    expect(statusLine(299)).toBe('299 Status');
  });
});
