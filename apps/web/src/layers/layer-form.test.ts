import { LIMITS } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import { nameFromUrl, validateLayerInput } from './layer-form.ts';

describe('validateLayerInput', () => {
  it('accepts an http(s) feed and a name, trimmed', () => {
    expect(validateLayerInput('  https://example.org/quakes.atom ', ' Quakes ', [])).toEqual({
      ok: true,
      url: 'https://example.org/quakes.atom',
      name: 'Quakes',
    });
    expect(validateLayerInput('http://127.0.0.1:8080/feed', 'Local', []).ok).toBe(true);
  });

  it('names the layer after the feed file when no name is given', () => {
    expect(validateLayerInput('https://example.org/feeds/quakes.atom', '', [])).toMatchObject({
      ok: true,
      name: 'quakes.atom',
    });
    expect(nameFromUrl('https://example.org/')).toBe('example.org');
  });

  it('refuses what the server would refuse, saying which field and why', () => {
    const cases: [string, string, 'url' | 'name', RegExp][] = [
      ['', 'x', 'url', /address of a feed/],
      ['example.org/feed', 'x', 'url', /full http:\/\/ or https:\/\/ URL/],
      ['file:///etc/passwd', 'x', 'url', /http:\/\/ or https:\/\//],
      ['javascript:alert(1)', 'x', 'url', /http:\/\/ or https:\/\//],
      [`https://example.org/${'a'.repeat(LIMITS.MAX_URL_CHARS)}`, 'x', 'url', /longer than 2048/],
      ['https://example.org/feed', 'n'.repeat(LIMITS.MAX_NAME_CHARS + 1), 'name', /longer than 80/],
    ];
    for (const [url, name, field, message] of cases) {
      const result = validateLayerInput(url, name, []);
      expect(result.ok, url).toBe(false);
      if (!result.ok) {
        expect(result.field, url).toBe(field);
        expect(result.message, url).toMatch(message);
      }
    }
  });

  it('refuses a feed that is already a layer, and a layer past the limit', () => {
    const url = 'https://example.org/quakes.atom';
    expect(validateLayerInput(url, 'Again', [{ url }])).toMatchObject({
      ok: false,
      message: /already a layer/,
    });
    const full = Array.from({ length: LIMITS.MAX_LAYERS_PER_MAP }, (_, i) => ({ url: `https://x.org/${i}` }));
    expect(validateLayerInput(url, 'One more', full)).toMatchObject({ ok: false, message: /at most 20/ });
  });
});
