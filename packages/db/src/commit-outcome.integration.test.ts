import { ErrorCode, MeridianError, type Op } from '@meridian/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from './client.ts';
import { createMap } from './maps.ts';
import { commitOp, readOps } from './op-log.ts';
import { createPostgresDatabase } from './testing/backends.ts';
import { CommitCuttingProxy } from './testing/commit-cutting-proxy.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const op: Op = {
  kind: 'feature.create',
  feature: {
    type: 'Feature',
    id: 'cafe',
    geometry: { type: 'Point', coordinates: [4.8, 45.7] },
    properties: {},
    version: 1,
  },
};

/** A migrated database reached through a proxy that can fail COMMITs, and a direct connection to it. */
async function throughProxy(): Promise<{
  db: Database;
  direct: Database;
  proxy: CommitCuttingProxy;
  mapId: string;
}> {
  const target = await createPostgresDatabase();
  cleanups.push(target.drop);
  const direct = await openDatabase({ databaseUrl: target.url });
  cleanups.push(() => direct.close());
  const url = new URL(target.url);
  const proxy = await CommitCuttingProxy.start(Number(url.port || 5432));
  cleanups.push(() => proxy.close());
  url.host = `127.0.0.1:${proxy.port}`;
  const db = await openDatabase({ databaseUrl: url.toString(), migrate: false, onConnectionError: () => {} });
  cleanups.push(() => db.close());
  const { map } = await createMap(db, { name: 'Lyon' });
  return { db, direct, proxy, mapId: map.id };
}

describe('a commit whose answer is lost (Postgres)', () => {
  it('is answered committed when the op log has it', async () => {
    const { db, direct, proxy, mapId } = await throughProxy();
    proxy.loseNextCommitAnswer();
    const result = await commitOp(db, { mapId, clientId: 'c', opId: 'o1', op });
    expect(proxy.faults).toBe(1);
    expect(result).toMatchObject({ status: 'committed', record: { seq: 1, opId: 'o1', op } });
    expect((await readOps(direct, mapId, 1, 10)).map((r) => r.opId)).toEqual(['o1']);
    // The client's retry is a duplicate of it, not a second op.
    expect(await commitOp(db, { mapId, clientId: 'c', opId: 'o1', op })).toMatchObject({
      status: 'duplicate',
    });
  });

  it('is STORAGE_UNAVAILABLE, not committed, when the COMMIT never reached the server', async () => {
    const { db, direct, proxy, mapId } = await throughProxy();
    proxy.dropNextCommit();
    const error = await commitOp(db, { mapId, clientId: 'c', opId: 'o1', op }).catch((e: unknown) => e);
    expect(proxy.faults).toBe(1);
    expect(error).toBeInstanceOf(MeridianError);
    expect(error).toMatchObject({
      code: ErrorCode.STORAGE_UNAVAILABLE,
      message: expect.stringMatching(/not committed/),
    });
    expect(await readOps(direct, mapId, 1, 10)).toEqual([]);
    // The retry commits it, at the seq the lost attempt did not consume.
    expect(await commitOp(db, { mapId, clientId: 'c', opId: 'o1', op })).toMatchObject({
      status: 'committed',
      record: { seq: 1 },
    });
  });

  it('is a transient "outcome unknown" while the database stays unreachable, and the retry is safe', async () => {
    const { db, direct, proxy, mapId } = await throughProxy();
    proxy.loseNextCommitAnswer({ refuseAfterFault: true });
    const error = await commitOp(db, { mapId, clientId: 'c', opId: 'o1', op }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: ErrorCode.STORAGE_UNAVAILABLE,
      message: expect.stringMatching(/outcome unknown/),
    });
    // It had in fact committed: once the database answers, the retry is its duplicate.
    expect((await readOps(direct, mapId, 1, 10)).map((r) => r.opId)).toEqual(['o1']);
    proxy.restore();
    expect(await commitOp(db, { mapId, clientId: 'c', opId: 'o1', op })).toMatchObject({
      status: 'duplicate',
      record: { seq: 1 },
    });
  });

  it('acks every op of a group whose COMMIT answer was lost, each once in the log', async () => {
    const { db, direct, proxy, mapId } = await throughProxy();
    // Sent in one turn, the five commit as one group: its COMMIT's answer is lost.
    proxy.loseNextCommitAnswer();
    const ids = ['g1', 'g2', 'g3', 'g4', 'g5'];
    const results = await Promise.all(
      ids.map((id) =>
        commitOp(db, {
          mapId,
          clientId: 'c',
          opId: id,
          op: { ...op, feature: { ...op.feature, id } } as Op,
        }),
      ),
    );
    expect(proxy.faults).toBe(1);
    for (const result of results) expect(['committed', 'duplicate']).toContain(result.status);
    expect(results.map((result) => (result.status === 'rejected' ? 0 : result.record.seq))).toEqual([
      1, 2, 3, 4, 5,
    ]);
    expect((await readOps(direct, mapId, 1, 10)).map((r) => r.opId)).toEqual(ids);
  });
});
