import { describe, expect, it } from 'vitest';
import { cpuSeconds, openFilesLimit, rssBytes } from './proc.ts';

describe('/proc readers', () => {
  it('sees this process spend CPU', () => {
    const before = cpuSeconds(process.pid);
    // Spin until the clock tick lands (10 ms at CLK_TCK 100), bounded in case it never does.
    const deadline = Date.now() + 3_000;
    while (cpuSeconds(process.pid) <= before && Date.now() < deadline);
    expect(cpuSeconds(process.pid)).toBeGreaterThan(before);
  });

  it('reads RSS and the open-files limit', () => {
    expect(rssBytes(process.pid)).toBeGreaterThan(1024 * 1024);
    expect(openFilesLimit()).toBeGreaterThan(0);
  });
});
