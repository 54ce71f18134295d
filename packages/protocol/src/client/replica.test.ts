import { describe, expect, it } from 'vitest';
import type { Feature } from '../geo.ts';
import type { Op, OpRecord } from '../messages/common.ts';
import { stateHash } from '../state.ts';
import { MapReplica } from './replica.ts';

const point = (lng: number, lat: number) => ({
  type: 'Point' as const,
  coordinates: [lng, lat] as [number, number],
});
const feature = (id: string, lng = 0): Feature => ({
  type: 'Feature',
  id,
  geometry: point(lng, 0),
  properties: {},
  version: 1,
});
let at = 0;
const record = (seq: number, op: Op, clientId = 'other', opId = `o${seq}`): OpRecord => ({
  seq,
  op,
  clientId,
  opId,
  at: ++at,
});

describe('MapReplica', () => {
  it('applies records strictly in seq order and drops duplicates', () => {
    const replica = new MapReplica('me');
    replica.applySnapshot(0, 'Map', []);
    expect(replica.receive(record(1, { kind: 'feature.create', feature: feature('a') })).kind).toBe(
      'applied',
    );
    expect(replica.receive(record(1, { kind: 'feature.create', feature: feature('a') })).kind).toBe(
      'duplicate',
    );
    expect(replica.seq).toBe(1);
    expect(replica.view.features.get('a')?.version).toBe(1);
  });

  it('buffers records after a gap, reports the gap, and drains once it is filled', () => {
    const replica = new MapReplica('me');
    replica.applySnapshot(0, 'Map', []);
    replica.receive(record(1, { kind: 'feature.create', feature: feature('a') }));
    const gap = replica.receive(record(4, { kind: 'feature.delete', id: 'a' }));
    expect(gap).toEqual({ kind: 'gap', fromSeq: 2, toSeq: 3 });
    expect(replica.seq).toBe(1);
    replica.receive(record(2, { kind: 'feature.move', id: 'a', geometry: point(5, 5) }));
    const filled = replica.receive(
      record(3, { kind: 'feature.update', id: 'a', properties: { title: 'x' } }),
    );
    expect(filled.kind).toBe('applied');
    expect(replica.seq).toBe(4);
    expect(replica.view.features.has('a')).toBe(false);
  });

  it('shows optimistic ops at once and reconciles them on ack and broadcast', () => {
    const replica = new MapReplica('me');
    replica.applySnapshot(0, 'Map', []);
    const create: Op = { kind: 'feature.create', feature: feature('mine') };
    replica.addPending('o-1', create);
    expect(replica.view.features.has('mine')).toBe(true);
    expect(replica.confirmed.features.has('mine')).toBe(false);
    replica.acknowledge('o-1', 1);
    expect(replica.pending).toHaveLength(1);
    replica.receive(record(1, create, 'me', 'o-1'));
    expect(replica.pending).toHaveLength(0);
    expect(replica.confirmed.features.has('mine')).toBe(true);
  });

  it('rebases pending ops on remote changes: last writer (server order) wins per field', () => {
    const replica = new MapReplica('me');
    replica.applySnapshot(1, 'Map', [feature('a')]);
    replica.addPending('o-1', { kind: 'feature.update', id: 'a', properties: { title: 'mine' } });
    replica.receive(
      record(2, { kind: 'feature.update', id: 'a', properties: { title: 'theirs', color: '#ff0000' } }),
    );
    expect(replica.view.features.get('a')?.properties).toEqual({ title: 'mine', color: '#ff0000' });
    replica.receive(
      record(3, { kind: 'feature.update', id: 'a', properties: { title: 'mine' } }, 'me', 'o-1'),
    );
    expect(replica.view.features.get('a')?.properties).toEqual({ title: 'mine', color: '#ff0000' });
  });

  it('drops a rejected op from the view', () => {
    const replica = new MapReplica('me');
    replica.applySnapshot(0, 'Map', []);
    replica.addPending('o-1', { kind: 'feature.create', feature: feature('x') });
    const rejected = replica.reject('o-1');
    expect(rejected?.op.kind).toBe('feature.create');
    expect(replica.view.features.has('x')).toBe(false);
  });

  it('keeps unacknowledged ops across a snapshot and drops acked ones the snapshot covers', () => {
    const replica = new MapReplica('me');
    replica.applySnapshot(0, 'Map', []);
    replica.addPending('o-1', { kind: 'feature.create', feature: feature('a') });
    replica.addPending('o-2', { kind: 'feature.create', feature: feature('b') });
    replica.acknowledge('o-1', 1);
    replica.applySnapshot(5, 'Map', [feature('a')]);
    expect(replica.pending.map((p) => p.opId)).toEqual(['o-2']);
    expect(replica.unacknowledged.map((p) => p.opId)).toEqual(['o-2']);
    expect([...replica.view.features.keys()].sort()).toEqual(['a', 'b']);
  });

  it('two replicas fed the same records in different arrival orders converge', () => {
    const ops: OpRecord[] = [
      record(1, { kind: 'feature.create', feature: feature('a') }),
      record(2, { kind: 'feature.create', feature: feature('b') }),
      record(3, { kind: 'feature.move', id: 'a', geometry: point(9, 9) }),
      record(4, { kind: 'map.rename', name: 'Renamed' }),
      record(5, { kind: 'feature.delete', id: 'b' }),
    ];
    const x = new MapReplica('x');
    const y = new MapReplica('y');
    x.applySnapshot(0, 'Map', []);
    y.applySnapshot(0, 'Map', []);
    for (const r of ops) x.receive(r);
    for (const r of [...ops].reverse()) y.receive(r);
    expect(stateHash(x.confirmed)).toBe(stateHash(y.confirmed));
    expect(y.confirmed.name).toBe('Renamed');
  });

  it('keeps the optimistic view when its oldest pending op comes back, and it equals a fresh one', () => {
    const replica = new MapReplica('me');
    replica.applySnapshot(0, 'Map', [feature('base')]);
    const chunk = (from: number): Op => ({
      kind: 'features.import',
      features: [0, 1, 2].map((k) => ({ ...feature(`i${from + k}`), version: 0 })),
    });
    replica.addPending('c1', chunk(0));
    replica.addPending('c2', chunk(3));
    const before = replica.view;
    const own = replica.receive(record(1, chunk(0), 'me', 'c1'));
    // No copy of the whole map for our own record, and no feature reported changed...
    expect(replica.view).toBe(before);
    expect(own).toEqual({ kind: 'applied', changed: new Set() });
    // ...and still what a view built from scratch shows.
    const fresh = new MapReplica('fresh');
    fresh.applySnapshot(1, 'Map', replica.confirmed.features.values());
    fresh.addPending('c2', chunk(3));
    expect(stateHash(replica.view)).toBe(stateHash(fresh.view));
    // Someone else's record does change it.
    const other = replica.receive(record(2, { kind: 'feature.delete', id: 'base' }));
    expect(other).toEqual({ kind: 'applied', changed: new Set(['base', 'i3', 'i4', 'i5']) });
    expect(replica.view).not.toBe(before);
    expect(replica.view.features.has('base')).toBe(false);
    expect(replica.view.features.has('i4')).toBe(true);
  });
});
