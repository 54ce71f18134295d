import {
  DisplayName,
  ErrorCode,
  type Feature,
  type Layer,
  LIMITS,
  MeridianError,
  type Role,
} from '@meridian/protocol';
import type { Database } from './client.ts';
import { Prisma } from './generated/prisma/client.ts';
import { hashShareKey, newShareKey, randomId } from './keys.ts';
import { liveLayerRows } from './layers.ts';
import { featureFromRow, layerFromRow } from './rows.ts';
import { isUniqueViolation, storageUnavailable, withStorage } from './storage-errors.ts';

export interface MapSummary {
  id: string;
  name: string;
  /** The seq of the last committed op; 0 for a new map. */
  seq: number;
}

export interface CreatedMap {
  map: MapSummary;
  /** The share-key secrets, returned only here: the database keeps their sha256. */
  editKey: string;
  viewKey: string;
}

export interface MapSnapshot {
  map: { id: string; name: string };
  /** The features are exactly the state after the op with this seq. */
  seq: number;
  features: Feature[];
  /** The live-feed layers, in the order they were added; their features are among `features`. */
  layers: Layer[];
}

/** A fresh 12-char id colliding is a ~2^-71 event; a few retries make it a non-event. */
const CREATE_ATTEMPTS = 3;

const summary = { id: true, name: true, seq: true } as const;

/** Creates an empty map with one edit key and one view key. */
export async function createMap(db: Database, input: { name: string }): Promise<CreatedMap> {
  const name = DisplayName.safeParse(input.name);
  if (!name.success) {
    throw new MeridianError(ErrorCode.INVALID_MESSAGE, 'a map name is 1 to 80 characters after trimming');
  }
  const editKey = newShareKey();
  const viewKey = newShareKey();
  for (let attempt = 1; ; attempt++) {
    try {
      const map = await db.prisma.map.create({
        data: {
          id: randomId(),
          name: name.data,
          shareKeys: {
            create: [
              { id: randomId(), role: 'edit', keyHash: hashShareKey(editKey) },
              { id: randomId(), role: 'view', keyHash: hashShareKey(viewKey) },
            ],
          },
        },
        select: summary,
      });
      return { map, editKey, viewKey };
    } catch (error) {
      if (isUniqueViolation(error) && attempt < CREATE_ATTEMPTS) continue;
      throw storageUnavailable('creating a map', error);
    }
  }
}

/**
 * Adds a fresh share key of `role` to an existing map and returns its secret (shown once, stored
 * as its sha256). Keys are hashed, so an editor on another device cannot recover the original view
 * key; minting a new one is how any editor can share a view link. Null when the map does not exist.
 */
export async function createShareKey(db: Database, mapId: string, role: Role): Promise<string | null> {
  if (!(await getMap(db, mapId))) return null;
  for (let attempt = 1; ; attempt++) {
    const key = newShareKey();
    try {
      await db.prisma.shareKey.create({
        data: { id: randomId(), mapId, role, keyHash: hashShareKey(key) },
      });
      return key;
    } catch (error) {
      // P2003: the map is gone (foreign key); a caller checked it, but it may have raced a delete.
      if (typeof error === 'object' && error !== null && 'code' in error && error.code === 'P2003')
        return null;
      if (isUniqueViolation(error) && attempt < CREATE_ATTEMPTS) continue;
      throw storageUnavailable('creating a share key', error);
    }
  }
}

/** The role a share key grants on `mapId`, or null for an unknown, revoked or other map's key. */
export async function resolveShareKey(db: Database, mapId: string, key: string): Promise<Role | null> {
  if (key.length === 0 || key.length > LIMITS.MAX_SHARE_KEY_CHARS) return null;
  const row = await withStorage('resolving a share key', () =>
    db.prisma.shareKey.findUnique({
      where: { keyHash: hashShareKey(key) },
      select: { mapId: true, role: true, revokedAt: true },
    }),
  );
  if (!row || row.mapId !== mapId || row.revokedAt !== null) return null;
  return row.role;
}

/** Revokes one share key of a map; false when it was unknown or already revoked. */
export async function revokeShareKey(db: Database, mapId: string, key: string): Promise<boolean> {
  const { count } = await withStorage('revoking a share key', () =>
    db.prisma.shareKey.updateMany({
      where: { mapId, keyHash: hashShareKey(key), revokedAt: null },
      data: { revokedAt: new Date() },
    }),
  );
  return count > 0;
}

export async function getMap(db: Database, mapId: string): Promise<MapSummary | null> {
  return withStorage('reading a map', () =>
    db.prisma.map.findUnique({ where: { id: mapId }, select: summary }),
  );
}

/** The maps among `ids` that exist, in the order asked (duplicates once). */
export async function listMaps(db: Database, ids: string[]): Promise<MapSummary[]> {
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) return [];
  const rows = await withStorage('listing maps', () =>
    db.prisma.map.findMany({ where: { id: { in: wanted } }, select: summary }),
  );
  const byId = new Map(rows.map((row) => [row.id, row]));
  return wanted.flatMap((id) => byId.get(id) ?? []);
}

/**
 * The live features and layers of a map and the seq they correspond to, read in one repeatable-read
 * transaction so no op can commit between reading the seq and reading the features.
 */
export async function loadSnapshot(db: Database, mapId: string): Promise<MapSnapshot | null> {
  return withStorage('loading a snapshot', () =>
    db.prisma.$transaction(
      async (tx) => {
        const map = await tx.map.findUnique({ where: { id: mapId }, select: summary });
        if (!map) return null;
        const rows = await tx.feature.findMany({
          where: { mapId, deleted: false },
          // The draw order readSnapshotPages gives too (id breaks the ties of one bulk import).
          orderBy: [{ createdSeq: 'asc' }, { id: 'asc' }],
          select: { id: true, geometry: true, properties: true, version: true },
        });
        const layers = await liveLayerRows(tx, mapId);
        return {
          map: { id: map.id, name: map.name },
          seq: map.seq,
          features: rows.map(featureFromRow),
          layers: layers.map(layerFromRow),
        };
      },
      { isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead },
    ),
  );
}
