/**
 * Parse cost of representative client messages with zod 4 (what the protocol uses) and valibot 1
 * (the main alternative), on equivalent schemas. Run: npm run bench:validation -w @meridian/protocol
 * Prints ns per message (median of several rounds); it is a report, not a test.
 */
import * as v from 'valibot';
import { ClientMessage } from '../src/messages/client.ts';

const lng = v.pipe(v.number(), v.minValue(-180), v.maxValue(180));
const lat = v.pipe(v.number(), v.minValue(-90), v.maxValue(90));
const position = v.union([v.strictTuple([lng, lat]), v.strictTuple([lng, lat, v.number()])]);
const id = v.pipe(v.string(), v.minLength(1), v.maxLength(64), v.regex(/^[A-Za-z0-9_-]+$/));
const color = v.pipe(v.string(), v.regex(/^#[0-9a-fA-F]{6}$/));
const ring = v.pipe(
  v.array(position),
  v.minLength(4),
  v.maxLength(5000),
  v.check((r) => r[0]?.[0] === r[r.length - 1]?.[0] && r[0]?.[1] === r[r.length - 1]?.[1]),
);
const geometry = v.variant('type', [
  v.strictObject({ type: v.literal('Point'), coordinates: position }),
  v.strictObject({
    type: v.literal('LineString'),
    coordinates: v.pipe(v.array(position), v.minLength(2), v.maxLength(5000)),
  }),
  v.strictObject({
    type: v.literal('Polygon'),
    coordinates: v.pipe(v.array(ring), v.minLength(1), v.maxLength(50)),
  }),
]);
const properties = v.strictObject({
  title: v.optional(v.pipe(v.string(), v.maxLength(200))),
  description: v.optional(v.pipe(v.string(), v.maxLength(5000))),
  color: v.optional(color),
  icon: v.optional(v.pipe(v.string(), v.maxLength(32))),
});
const viewport = v.strictObject({
  bounds: v.strictTuple([v.number(), v.number(), v.number(), v.number()]),
  zoom: v.pipe(v.number(), v.minValue(0), v.maxValue(24)),
  bearing: v.number(),
  pitch: v.optional(v.number(), 0),
});
const valibotMessage = v.variant('type', [
  v.strictObject({
    type: v.literal('op'),
    mapId: id,
    opId: id,
    op: v.variant('kind', [
      v.strictObject({
        kind: v.literal('feature.create'),
        feature: v.strictObject({
          type: v.literal('Feature'),
          id,
          geometry,
          properties,
          version: v.number(),
        }),
      }),
      v.strictObject({ kind: v.literal('feature.move'), id, geometry }),
    ]),
  }),
  v.strictObject({
    type: v.literal('presence'),
    mapId: id,
    cursor: v.optional(v.nullable(v.strictTuple([lng, lat]))),
    viewport: v.optional(viewport),
  }),
]);

const polygon = Array.from({ length: 64 }, (_, i) => [Math.cos(i / 10) * 10, Math.sin(i / 10) * 10]);
polygon.push(polygon[0] as number[]);
const samples: Record<string, unknown> = {
  'presence (cursor + viewport)': {
    type: 'presence',
    mapId: 'm1',
    cursor: [2.35, 48.85],
    viewport: { bounds: [2.2, 48.8, 2.4, 48.9], zoom: 12, bearing: 0, pitch: 0 },
  },
  'create point with properties': {
    type: 'op',
    mapId: 'm1',
    opId: 'o-1',
    op: {
      kind: 'feature.create',
      feature: {
        type: 'Feature',
        id: 'f1',
        geometry: { type: 'Point', coordinates: [2.35, 48.85] },
        properties: { title: 'Café', color: '#e4572e' },
        version: 0,
      },
    },
  },
  'move polygon (65 vertices)': {
    type: 'op',
    mapId: 'm1',
    opId: 'o-2',
    op: { kind: 'feature.move', id: 'f1', geometry: { type: 'Polygon', coordinates: [polygon] } },
  },
};

function nsPerCall(fn: () => unknown, iterations: number): number {
  const rounds: number[] = [];
  for (let round = 0; round < 7; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    rounds.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  rounds.sort((a, b) => a - b);
  return rounds[3] as number;
}

console.log(`node ${process.version}; median of 7 rounds; ns per parse (JSON.parse excluded)`);
console.log('message'.padEnd(34), 'zod 4'.padStart(10), 'valibot 1'.padStart(10));
for (const [name, sample] of Object.entries(samples)) {
  const zodOk = ClientMessage.safeParse(sample).success;
  const valibotOk = v.safeParse(valibotMessage, sample).success;
  if (!zodOk || !valibotOk) throw new Error(`${name}: zod ${zodOk}, valibot ${valibotOk}`);
  const iterations = 20_000;
  const zod = nsPerCall(() => ClientMessage.safeParse(sample), iterations);
  const valibot = nsPerCall(() => v.safeParse(valibotMessage, sample), iterations);
  console.log(name.padEnd(34), zod.toFixed(0).padStart(10), valibot.toFixed(0).padStart(10));
}
