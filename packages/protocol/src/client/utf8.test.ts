import { describe, expect, it } from 'vitest';
import { utf8Length } from './utf8.ts';

describe('utf8Length', () => {
  it('counts as TextEncoder does, lone surrogates included', () => {
    const encoder = new TextEncoder();
    for (const text of [
      '',
      'plain ascii',
      'Café',
      '東京 tower',
      '🗺️ map 😀😀',
      'a\ud800b',
      '\udc00',
      'x\ud83d',
      '€'.repeat(1000),
    ])
      expect(utf8Length(text), JSON.stringify(text)).toBe(encoder.encode(text).length);
  });
});
