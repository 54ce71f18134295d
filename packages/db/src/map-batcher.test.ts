import { describe, expect, it } from 'vitest';
import { MapBatcher } from './map-batcher.ts';

function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('MapBatcher', () => {
  it('runs what was submitted in one turn together, then what arrived meanwhile, in order, at most maxBatch', async () => {
    const batches: string[][] = [];
    const first = gate();
    const batcher = new MapBatcher<string, string>(async (_key, items) => {
      batches.push(items);
      if (batches.length === 1) await first.opened;
      return items.map((item) => item.toUpperCase());
    }, 3);
    const answers = ['a', 'b'].map((item) => batcher.submit('m', item));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([['a', 'b']]);
    answers.push(...['c', 'd', 'e', 'f', 'g'].map((item) => batcher.submit('m', item)));
    expect(batcher.size('m')).toBe(7);
    first.open();
    expect(await Promise.all(answers)).toEqual(['A', 'B', 'C', 'D', 'E', 'F', 'G']);
    expect(batches).toEqual([
      ['a', 'b'],
      ['c', 'd', 'e'],
      ['f', 'g'],
    ]);
    expect(batcher.size('m')).toBe(0);
  });

  it('fails only the batch whose work threw, and keeps other keys independent', async () => {
    const blocked = gate();
    const batcher = new MapBatcher<number, number>(async (key, items) => {
      if (key === 'slow') await blocked.opened;
      if (items.includes(13)) throw new Error('unlucky');
      return items.map((n) => n * 2);
    }, 10);
    const slow = batcher.submit('slow', 1);
    expect(await batcher.submit('fast', 2)).toBe(4);
    const unlucky = [batcher.submit('slow', 13), batcher.submit('slow', 5)];
    const after = batcher.submit('slow', 7);
    blocked.open();
    expect(await slow).toBe(2);
    for (const answer of unlucky) await expect(answer).rejects.toThrow('unlucky');
    // 7 arrived while the first batch ran, so it went with 13 and 5.
    await expect(after).rejects.toThrow('unlucky');
    expect(await batcher.submit('slow', 8)).toBe(16);
  });
});
