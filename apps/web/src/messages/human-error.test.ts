import { describe, expect, it } from 'vitest';
import { humanError } from './human-error.ts';

describe('humanError', () => {
  it('says a DNS failure as "could not reach", keeping the raw text as the detail', () => {
    expect(humanError('getaddrinfo ENOTFOUND earthquake.usgs.gov')).toEqual({
      message: 'Could not reach earthquake.usgs.gov',
      detail: 'getaddrinfo ENOTFOUND earthquake.usgs.gov',
    });
  });

  it('keeps the context before the low-level part', () => {
    expect(humanError('hub unreachable: connect ECONNREFUSED 127.0.0.1:9').message).toBe(
      '127.0.0.1:9 refused the connection (hub unreachable)',
    );
  });

  it('reads status codes, timeouts, certificates and fetch failures', () => {
    expect(humanError('feed fetch failed: HTTP 503').message).toBe(
      'The server answered 503 (feed fetch failed)',
    );
    expect(humanError('The operation was aborted due to timeout').message).toBe('It took too long to answer');
    expect(humanError('unable to verify the first certificate').message).toMatch(/certificate problem/);
    expect(humanError('TypeError: Failed to fetch').message).toBe('Could not reach the server');
  });

  it('leaves words that are already human alone, with no detail to hide', () => {
    expect(humanError('the feed has no GeoRSS points')).toEqual({
      message: 'the feed has no GeoRSS points',
      detail: null,
    });
  });
});
