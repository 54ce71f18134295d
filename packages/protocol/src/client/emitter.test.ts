import { describe, expect, it, vi } from 'vitest';
import { Emitter } from './emitter.ts';

class Ticker extends Emitter<{ tick: (n: number) => void }> {
  fire(n: number): void {
    this.emit('tick', n);
  }
}

describe('Emitter', () => {
  it('calls every listener in order, skips one that throws, and stops a listener that unsubscribed', () => {
    const ticker = new Ticker();
    const seen: string[] = [];
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    ticker.on('tick', () => {
      throw new Error('app bug');
    });
    const stop = ticker.on('tick', (n) => seen.push(`a${n}`));
    ticker.on('tick', (n) => seen.push(`b${n}`));
    ticker.fire(1);
    stop();
    ticker.fire(2);
    expect(seen).toEqual(['a1', 'b1', 'b2']);
    expect(quiet).toHaveBeenCalledTimes(2);
    quiet.mockRestore();
  });
});
