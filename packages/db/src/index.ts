export { type Database, type OpenDatabaseOptions, openDatabase } from './client.ts';
export type { ScriptTransaction } from './drivers/script-transaction.ts';
export type { Prisma, PrismaClient } from './generated/prisma/client.ts';
export { hashShareKey, newShareKey, randomId } from './keys.ts';
export {
  type FeedBookkeeping,
  getFeedBookkeeping,
  listLayers,
  updateFeedBookkeeping,
} from './layers.ts';
export {
  type CreatedMap,
  createMap,
  createShareKey,
  getMap,
  listMaps,
  loadSnapshot,
  type MapSnapshot,
  type MapSummary,
  resolveShareKey,
  revokeShareKey,
} from './maps.ts';
export { type MigrateOptions, type MigrateResult, migrate } from './migrations/apply.ts';
export { type CommitOpInput, type CommitResult, commitOp, readOps } from './op-log.ts';
export {
  readSnapshotPages,
  SNAPSHOT_PAGE_ROWS,
  type SnapshotHead,
  type SnapshotPageSink,
  type SnapshotPageSizes,
} from './snapshot-pages.ts';
