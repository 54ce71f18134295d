import { describe, expect, it } from 'vitest';
import { MapQueue } from './map-queue.ts';

function deferred() {
  let resolve = () => {};
  const promise = new Promise<void>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

describe('MapQueue', () => {
  it('runs at most `limit` tasks of one key at once, the rest in arrival order', async () => {
    const queue = new MapQueue(2);
    const gates = Array.from({ length: 5 }, deferred);
    const started: number[] = [];
    const done = gates.map((gate, i) =>
      queue.run('m', async () => {
        started.push(i);
        await gate.promise;
        return i;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(queue.size('m')).toBe(5);
    gates[1]?.resolve();
    await done[1];
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    for (const gate of gates) gate.resolve();
    expect(await Promise.all(done)).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(queue.size('m')).toBe(0);
  });

  it('lets other keys run while one key is full, and frees the slot of a failed task', async () => {
    const queue = new MapQueue(1);
    const gate = deferred();
    const blocked = queue.run('a', () => gate.promise);
    expect(await queue.run('b', async () => 'b ran')).toBe('b ran');
    const failing = queue.run('a', async () => Promise.reject(new Error('x')));
    gate.resolve();
    await blocked;
    await expect(failing).rejects.toThrow('x');
    await expect(queue.run('a', async () => 'after')).resolves.toBe('after');
  });
});
