import { loadSnapshot } from '@meridian/db';
import { CloseCode, ErrorCode, LIMITS } from '@meridian/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CreatedMap, createMapVia, type EmbeddedNode, startEmbeddedNode, tokenVia } from './harness.ts';
import { RawSocket } from './raw-socket.ts';

// Bulk frames (protocol v4): a `features.import` or `features.delete` may fill up to
// MAX_BULK_FRAME_BYTES, announced in `welcome`; every other message keeps MAX_FRAME_BYTES, and no
// feature is bigger than MAX_FEATURE_BYTES. The record names its author as the server knows them.

let node: EmbeddedNode;
let created: CreatedMap;
let token: string;

beforeAll(async () => {
  node = await startEmbeddedNode();
  created = await createMapVia(node.httpUrl, 'Bulk frames');
  token = await tokenVia(node.httpUrl, created.map.id, created.editKey);
});

afterAll(async () => {
  await node?.stop();
});

/** A point with a description long enough that 300 of them are ~300 KB. */
const point = (id: string, description = 'x'.repeat(900)) => ({
  type: 'Feature',
  id,
  geometry: { type: 'Point', coordinates: [1, 2] },
  properties: { description },
  version: 0,
});

async function joined(clientId: string): Promise<RawSocket> {
  const socket = await RawSocket.open(`${node.wsUrl}?token=${token}`);
  await socket.joinMap(created.map.id, clientId);
  return socket;
}

describe('bulk frames', () => {
  it('announces the bulk limit, takes an import over MAX_FRAME_BYTES, and stamps the author the server knows', async () => {
    const importer = await joined('ada');
    const watcher = await joined('bo');
    expect(importer.frames.find((f) => f.type === 'welcome')).toMatchObject({
      maxFrameBytes: LIMITS.MAX_FRAME_BYTES,
      maxBulkFrameBytes: LIMITS.MAX_BULK_FRAME_BYTES,
    });
    const features = Array.from({ length: 300 }, (_, i) => point(`big-${i}`));
    const frame = JSON.stringify({
      type: 'op',
      mapId: created.map.id,
      opId: 'bulk-1',
      // A claimed name is replaced by the one from `hello`.
      op: { kind: 'features.import', features, batch: { id: 'imp-1', total: 300 }, by: { name: 'Mallory' } },
    });
    expect(frame.length).toBeGreaterThan(4 * LIMITS.MAX_FRAME_BYTES);
    importer.send(frame);
    expect(await importer.next('ack', (f) => f.opId === 'bulk-1')).toMatchObject({ seq: 1 });
    const record = (await watcher.next('op', (f) => (f.record as { opId: string }).opId === 'bulk-1'))
      .record as { op: { features: unknown[]; batch: unknown; by: unknown } };
    expect(record.op.features).toHaveLength(300);
    expect(record.op.batch).toEqual({ id: 'imp-1', total: 300 });
    expect(record.op.by).toEqual({ name: 'ada' });
    expect((await loadSnapshot(node.db, created.map.id))?.features).toHaveLength(300);
    importer.close();
    watcher.close();
  });

  it('refuses a feature over MAX_FEATURE_BYTES by name, inside a bulk frame that fits', async () => {
    const socket = await joined('carl');
    // Within every bound of the model (vertices, properties), but over 64 KiB as JSON.
    const huge = {
      ...point('huge', 'track'),
      geometry: {
        type: 'LineString',
        coordinates: Array.from({ length: 5000 }, (_, i) => [i / 1000 + 0.123456789, 1.123456789]),
      },
    };
    expect(JSON.stringify(huge).length).toBeGreaterThan(LIMITS.MAX_FEATURE_BYTES);
    socket.send({
      type: 'op',
      mapId: created.map.id,
      opId: 'too-big',
      op: { kind: 'features.import', features: [point('fine'), huge] },
    });
    const reject = await socket.next('reject', (f) => f.opId === 'too-big');
    expect(reject).toMatchObject({ code: ErrorCode.INVALID_MESSAGE });
    expect(reject.message).toMatch(/^features\.1 \(huge\) is \d+ bytes/);
    expect(socket.isOpen).toBe(true);
    socket.close();
  });

  it('closes with 1009 for a non-bulk message over MAX_FRAME_BYTES, and for a bulk one over the bulk limit', async () => {
    const chatty = await joined('dee');
    chatty.send({
      type: 'op',
      mapId: created.map.id,
      opId: 'fat-update',
      op: { kind: 'feature.update', id: 'big-0', properties: { note: 'z'.repeat(LIMITS.MAX_FRAME_BYTES) } },
    });
    expect((await chatty.closed).code).toBe(CloseCode.MESSAGE_TOO_BIG);

    const greedy = await joined('eve');
    const many = Array.from({ length: 1000 }, (_, i) => point(`g-${i}`, 'w'.repeat(1100)));
    greedy.send({
      type: 'op',
      mapId: created.map.id,
      opId: 'over',
      op: { kind: 'features.import', features: many },
    });
    expect((await greedy.closed).code).toBe(CloseCode.MESSAGE_TOO_BIG);
    expect((await loadSnapshot(node.db, created.map.id))?.features).toHaveLength(300);
  });
});
