/**
 * What a watcher spends receiving an import's records (issue #11), side by side in one run: the
 * frames of a 100,000-feature import's `op` records parsed as a client does now
 * (`parseServerMessage`: the envelope validated, the features shape-checked) and as it did before
 * (the full `ServerMessage` schema over every feature), interleaved, same frames.
 *
 *   npm run bench:import-records -w @meridian/bench -- [--count=100000] [--chunk=1000] [--rounds=3]
 */
import { performance } from 'node:perf_hooks';
import { encodeMessage, type OpRecord, parseServerMessage, ServerMessage } from '@meridian/protocol';
import { mixedFeatures } from '@meridian/protocol/testing';

function frames(count: number, chunk: number): string[] {
  const features = mixedFeatures(count, { styled: true });
  const out: string[] = [];
  for (let i = 0; i < features.length; i += chunk) {
    const record: OpRecord = {
      seq: out.length + 1,
      opId: `o${out.length + 1}`,
      clientId: 'importer',
      op: {
        kind: 'features.import',
        features: features.slice(i, i + chunk).map((f) => ({ ...f, version: 1 })),
        batch: { id: 'imp', total: count },
        by: { name: 'Ada' },
      },
      at: 1,
    };
    out.push(encodeMessage({ type: 'op', mapId: 'm', record }));
  }
  return out;
}

function time(label: string, texts: readonly string[], parse: (text: string) => boolean): number {
  const started = performance.now();
  for (const text of texts) if (!parse(text)) throw new Error(`${label}: a frame did not parse`);
  return performance.now() - started;
}

const argv = process.argv.slice(2);
const value = (key: string, fallback: number) =>
  Number(argv.find((a) => a.startsWith(`--${key}=`))?.split('=', 2)[1] ?? fallback);
const count = value('count', 100_000);
const chunk = value('chunk', 1000);
const rounds = value('rounds', 3);
const texts = frames(count, chunk);
const mb = texts.reduce((sum, t) => sum + t.length, 0) / 1e6;
process.stdout.write(
  `${texts.length} op frames, ${mb.toFixed(1)} MB, ${count.toLocaleString('en')} features\n`,
);
for (let round = 1; round <= rounds; round++) {
  const shape = time('shape-checked', texts, (t) => parseServerMessage(t).ok);
  const full = time('fully validated', texts, (t) => ServerMessage.safeParse(JSON.parse(t)).success);
  process.stdout.write(
    `round ${round}: shape-checked ${(shape / 1000).toFixed(2)} s, fully validated ${(full / 1000).toFixed(2)} s (×${(full / shape).toFixed(1)})\n`,
  );
}
