import { readRepoFile } from './repo.ts';

/**
 * The shipped infra/lb/haproxy.cfg with only addresses swapped for loopback ones. Each
 * substitution must match exactly as often as expected, so a config that drifts from what the test
 * knows fails loudly instead of running something else.
 */
export function loopbackHaproxyConfig(substitutions: { from: string; to: string; times: number }[]): string {
  let text = readRepoFile('infra/lb/haproxy.cfg');
  for (const { from, to, times } of substitutions) {
    const found = text.split(from).length - 1;
    if (found !== times) throw new Error(`haproxy.cfg: expected "${from}" ${times} time(s), found ${found}`);
    text = text.split(from).join(to);
  }
  return text;
}
