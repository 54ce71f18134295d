import { type Database, getFeedBookkeeping, loadSnapshot, updateFeedBookkeeping } from '@meridian/db';
import { ErrorCode, type Feature, type FeedLayer, MeridianError, type OpRecord } from '@meridian/protocol';
import type { Clock } from '../clock.ts';
import type { Config } from '../env.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { createAddressPolicy } from './address-policy.ts';
import {
  applyRecordToKnown,
  type KnownEntries,
  knownFromFeatures,
  planEntryCommits,
} from './entry-commits.ts';
import type { FeedHost } from './feed-host.ts';
import { createMemoryFeedLock, createRedisFeedLock, type FeedLock } from './feed-lock.ts';
import { connectFeedRedis } from './feed-redis.ts';
import { type EntriesCommitted, type FeedRuntime, LayerFeed, liveDetail, recordTtlMs } from './layer-feed.ts';
import { FeedParseError, parseFeed } from './parse-feed.ts';
import {
  createMemorySubscriptionStore,
  createRedisSubscriptionStore,
  type SubscriptionStore,
} from './subscription-store.ts';
import { verifyHubSignature } from './websub-signature.ts';

/** Callback ids are 16 random bytes in base64url; anything else is not looked up. */
const CALLBACK_ID = /^[A-Za-z0-9_-]{16,64}$/;

/** `hub.mode` comes from the caller: only known values become metric labels. */
function modeLabel(mode: string | null): string {
  return mode === 'subscribe' || mode === 'unsubscribe' || mode === 'denied' ? mode : 'other';
}

/** How long close() waits for unsubscribes before letting go. */
const CLOSE_TIMEOUT_MS = 3000;

export interface FeedSubscriptionsDeps {
  config: Config;
  host: FeedHost;
  db: Database;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
}

/** What a verification of intent or a delivery is answered with. */
export interface CallbackAnswer {
  status: number;
  text: string;
}

export interface FeedSubscriptions {
  /** §5.3 / §5.2: `GET /websub/:id?hub.mode=…`. */
  verify(id: string, query: URLSearchParams): Promise<CallbackAnswer>;
  /** §7–8: `POST /websub/:id` with the topic's content, signed with the subscription's secret. */
  deliver(id: string, signature: string | undefined, body: Buffer): Promise<CallbackAnswer>;
  /** The layers this node holds the feed of (tests and diagnostics). */
  held(): { mapId: string; layerId: string; mode: LayerFeed['mode']; subscriptionId: string | null }[];
  /** Stop every feed this node holds (unsubscribing, releasing locks) and close the Redis connection. */
  close(): Promise<void>;
}

interface Slot {
  layer: FeedLayer;
  feed: LayerFeed | null;
  acquiring: boolean;
}

interface OpenMap {
  slots: Map<string, Slot>;
  known: Map<string, KnownEntries> | null;
  /** Records seen while the known entries load, applied after on top of the snapshot. */
  pendingRecords: OpRecord[] | null;
  loading: Promise<Map<string, KnownEntries>> | null;
  /** Whether the map's layers were read; if storage was down, the next tick tries again. */
  listed: boolean;
  closed: boolean;
}

/**
 * Live-feed subscriptions of one node, driven by its rooms: when a map opens here, each of its
 * layers is offered to this node; the node that takes the layer's feed lock (one per layer across
 * the cluster) follows the feed (LayerFeed), the others wait and take over if it goes. The WebSub
 * callbacks are answered by any node from the shared subscription records, and their entries are
 * committed like any op, so they reach every node's clients over the bus.
 */
export function createFeedSubscriptions(deps: FeedSubscriptionsDeps): FeedSubscriptions {
  const { config, host, db, logger, metrics, clock } = deps;
  // The holder renews its lock every third of its lease; the other nodes try to take it as often.
  const lockTtlMs = config.feeds.lockTtlS * 1000;
  const maps = new Map<string, OpenMap>();
  let closing = false;

  let redis = connectFeedRedis(config, logger);
  const lock: FeedLock = redis
    ? createRedisFeedLock({
        redis: redis.commands,
        nodeId: config.nodeId,
        keyPrefix: config.redisChannelPrefix,
        ttlMs: lockTtlMs,
      })
    : createMemoryFeedLock();
  const store: SubscriptionStore = redis
    ? createRedisSubscriptionStore(redis.commands, config.redisChannelPrefix)
    : createMemorySubscriptionStore(() => clock.now());

  const runtime: FeedRuntime = {
    config: config.feeds,
    host,
    store,
    policy: createAddressPolicy(config.feeds.fetchAllow),
    logger,
    metrics,
    clock,
    commitEntries,
    bookkeeping: {
      get: (mapId, layerId) => getFeedBookkeeping(db, mapId, layerId),
      update: (mapId, layerId, bookkeeping) => updateFeedBookkeeping(db, mapId, layerId, bookkeeping),
    },
  };

  const lockKey = (mapId: string, layerId: string) => `${mapId}/${layerId}`;

  // ---------------------------------------------------------------- what this node knows of entries

  async function knownOf(mapId: string, layerId: string): Promise<KnownEntries> {
    const open = maps.get(mapId);
    if (!open) {
      // A callback for a map not open here: read the layer's features as they are now.
      const snapshot = await loadSnapshot(db, mapId);
      return knownFromFeatures(snapshot?.features ?? []).get(layerId) ?? new Map();
    }
    if (!open.known) {
      open.pendingRecords ??= [];
      open.loading ??= loadSnapshot(db, mapId).then((snapshot) => {
        const known = knownFromFeatures(snapshot?.features ?? []);
        for (const record of open.pendingRecords ?? []) {
          if (record.seq > (snapshot?.seq ?? 0)) applyRecordToKnown(known, record);
        }
        open.pendingRecords = null;
        open.known = known;
        return known;
      });
      try {
        await open.loading;
      } catch (error) {
        open.loading = null;
        throw error;
      }
    }
    const layers = open.known as Map<string, KnownEntries>;
    let known = layers.get(layerId);
    if (!known) {
      known = new Map();
      layers.set(layerId, known);
    }
    return known;
  }

  async function commitEntries(
    mapId: string,
    layerId: string,
    entries: Feature[],
  ): Promise<EntriesCommitted> {
    const known = await knownOf(mapId, layerId);
    let changed = 0;
    for (const plan of planEntryCommits(layerId, entries, known)) {
      const result = await host.commitServerOp(mapId, plan.opId, plan.op);
      if (result.status === 'rejected') {
        if (result.code === ErrorCode.LAYER_NOT_FOUND || result.code === ErrorCode.MAP_NOT_FOUND)
          return 'gone';
        throw new Error(`the entries were refused: ${result.message}`);
      }
      for (const [id, hash] of plan.hashes) known.set(id, hash);
      changed += plan.op.features.length;
    }
    return { changed, total: known.size };
  }

  // ---------------------------------------------------------------- holding layers

  async function tryHold(mapId: string, open: OpenMap, slot: Slot): Promise<void> {
    if (slot.feed || slot.acquiring || open.closed || closing) return;
    slot.acquiring = true;
    try {
      const key = lockKey(mapId, slot.layer.id);
      if (!(await lock.acquire(key))) return;
      if (open.closed || closing || open.slots.get(slot.layer.id) !== slot) {
        await lock.release(key);
        return;
      }
      slot.feed = new LayerFeed(mapId, slot.layer, runtime, () => {
        void dropLayer(mapId, slot.layer.id, false);
      });
      metrics.feedLayersHeld.inc();
      slot.feed.start();
    } catch (error) {
      logger.warn(
        { err: (error as Error).message, map: mapId, layer: slot.layer.id },
        'feed lock unavailable',
      );
    } finally {
      slot.acquiring = false;
    }
  }

  async function letGo(mapId: string, slot: Slot, unsubscribe: boolean): Promise<void> {
    const feed = slot.feed;
    if (!feed) return;
    slot.feed = null;
    metrics.feedLayersHeld.dec();
    try {
      await feed.stop(unsubscribe);
    } finally {
      await lock.release(lockKey(mapId, slot.layer.id)).catch(() => {});
    }
  }

  function addLayer(mapId: string, layer: FeedLayer): void {
    const open = maps.get(mapId);
    if (!open || open.closed || open.slots.has(layer.id)) return;
    const slot: Slot = { layer, feed: null, acquiring: false };
    open.slots.set(layer.id, slot);
    void tryHold(mapId, open, slot);
  }

  async function dropLayer(mapId: string, layerId: string, unsubscribe = true): Promise<void> {
    const open = maps.get(mapId);
    const slot = open?.slots.get(layerId);
    if (!open || !slot) return;
    open.slots.delete(layerId);
    open.known?.delete(layerId);
    await letGo(mapId, slot, unsubscribe);
  }

  async function openMap(mapId: string): Promise<void> {
    if (closing || maps.has(mapId)) return;
    const open: OpenMap = {
      slots: new Map(),
      known: null,
      pendingRecords: null,
      loading: null,
      listed: false,
      closed: false,
    };
    maps.set(mapId, open);
    await listLayersOf(mapId, open);
  }

  async function listLayersOf(mapId: string, open: OpenMap): Promise<void> {
    let layers: FeedLayer[];
    try {
      layers = await host.listLayers(mapId);
    } catch (error) {
      logger.warn({ err: (error as Error).message, map: mapId }, 'could not list the map’s layers');
      return;
    }
    if (open.closed) return;
    open.listed = true;
    for (const layer of layers) addLayer(mapId, layer);
  }

  /** Unsubscribes under way, which close() waits for (within its bound). */
  const letting = new Set<Promise<void>>();
  function track(work: Promise<void>): void {
    letting.add(work);
    void work.finally(() => letting.delete(work));
  }

  async function closeMap(mapId: string): Promise<void> {
    const open = maps.get(mapId);
    if (!open) return;
    open.closed = true;
    maps.delete(mapId);
    await Promise.allSettled([...open.slots.values()].map((slot) => letGo(mapId, slot, true)));
  }

  function onRecord(mapId: string, record: OpRecord): void {
    const open = maps.get(mapId);
    if (!open) return;
    if (open.known) applyRecordToKnown(open.known, record);
    else open.pendingRecords?.push(record);
    const op = record.op;
    // User layers have no feed: only feed layers get a subscription.
    if (op.kind === 'layer.add' && op.layer.kind === 'feed') addLayer(mapId, op.layer);
    else if (op.kind === 'layer.remove') track(dropLayer(mapId, op.id));
  }

  /** Holders renew their locks (and stop if one was lost); the others try to take free ones. */
  async function tick(): Promise<void> {
    for (const [mapId, open] of maps) {
      if (!open.listed) await listLayersOf(mapId, open);
      for (const slot of open.slots.values()) {
        if (!slot.feed) {
          await tryHold(mapId, open, slot);
          continue;
        }
        const held = await lock.renew(lockKey(mapId, slot.layer.id)).catch(() => true);
        if (!held) {
          logger.warn({ map: mapId, layer: slot.layer.id }, 'feed lock lost; another node follows the feed');
          await letGo(mapId, slot, true);
        } else {
          slot.feed.check();
        }
      }
    }
  }

  const unsubscribers = [
    host.onRoomOpened((mapId) => void openMap(mapId)),
    host.onRoomClosed((mapId) => track(closeMap(mapId))),
    host.onRecord(onRecord),
  ];
  let ticking = false;
  const timer = setInterval(
    () => {
      if (ticking) return;
      ticking = true;
      tick()
        .catch((error: unknown) => logger.error({ err: error }, 'feed tick failed'))
        .finally(() => {
          ticking = false;
        });
    },
    Math.max(50, Math.floor(lockTtlMs / 3)),
  );
  timer.unref?.();

  // ---------------------------------------------------------------- WebSub callbacks (any node)

  async function verify(id: string, query: URLSearchParams): Promise<CallbackAnswer> {
    const mode = query.get('hub.mode');
    const topic = query.get('hub.topic');
    const record = CALLBACK_ID.test(id) ? await store.get(id) : null;
    const refuse = (why: string): CallbackAnswer => {
      metrics.websubVerifications.inc({ mode: modeLabel(mode), result: 'refused' });
      return { status: 404, text: why };
    };
    if (!record) return refuse('no such subscription');
    if (!topic || topic !== record.topic) return refuse('not the topic of this subscription');
    if (mode === 'denied') {
      await store.update(id, { state: 'denied', reason: (query.get('hub.reason') ?? '').slice(0, 200) });
      metrics.websubVerifications.inc({ mode, result: 'ok' });
      host.publishLayerStatus(record.mapId, {
        layerId: record.layerId,
        state: 'error',
        mode: 'websub',
        detail: `the hub denied the subscription${query.get('hub.reason') ? `: ${query.get('hub.reason')}` : ''}`,
        badSignatures: record.badSignatures,
        entries: record.entries,
        at: clock.now(),
      });
      return { status: 200, text: 'ok' };
    }
    const challenge = query.get('hub.challenge');
    if ((mode !== 'subscribe' && mode !== 'unsubscribe') || mode !== record.pendingMode || !challenge) {
      return refuse('no such pending request');
    }
    if (mode === 'unsubscribe') {
      await store.delete(id);
    } else {
      const lease = Number(query.get('hub.lease_seconds'));
      const leaseS = Number.isInteger(lease) && lease > 0 ? lease : config.feeds.leaseS;
      // An update, not a put: a delivery counted meanwhile (another node) must not be lost.
      await store.update(
        id,
        { pendingMode: null, state: 'verified', leaseS, verifiedAt: clock.now() },
        recordTtlMs(leaseS),
      );
    }
    metrics.websubVerifications.inc({ mode, result: 'ok' });
    return { status: 200, text: challenge };
  }

  async function deliver(id: string, signature: string | undefined, body: Buffer): Promise<CallbackAnswer> {
    const record = CALLBACK_ID.test(id) ? await store.get(id) : null;
    if (!record) {
      metrics.websubDeliveries.inc({ result: 'unknown' });
      // §7: 410 Gone tells the hub this subscription is over.
      return { status: 410, text: 'no such subscription' };
    }
    const live = (detail: string, state: 'live' | 'error', counts = record) =>
      host.publishLayerStatus(record.mapId, {
        layerId: record.layerId,
        state,
        mode: 'websub',
        detail,
        badSignatures: counts.badSignatures,
        entries: counts.entries,
        at: clock.now(),
      });
    const check = verifyHubSignature(signature, body, record.secret);
    if (!check.ok) {
      // §8: ignore it, but answer 2xx so the hub does not retry a forgery.
      metrics.websubBadSignatures.inc({ reason: check.reason });
      metrics.websubDeliveries.inc({ result: 'bad_signature' });
      const after = (await store.increment(id, 'badSignatures', 1)) ?? record;
      logger.warn(
        { map: record.mapId, layer: record.layerId, reason: check.reason },
        'websub delivery with a bad signature ignored',
      );
      live(liveDetail(record.hub, after.badSignatures), 'live', after);
      return { status: 202, text: 'ignored' };
    }
    let entries: Feature[];
    try {
      entries = parseFeed(body, record.layerId, record.topic).entries;
    } catch (error) {
      if (!(error instanceof FeedParseError)) throw error;
      metrics.websubDeliveries.inc({ result: 'bad_feed' });
      live(`the hub pushed a document that is ${error.message}`, 'error');
      return { status: 202, text: 'not a feed' };
    }
    let committed: EntriesCommitted;
    try {
      committed = await commitEntries(record.mapId, record.layerId, entries);
    } catch (error) {
      metrics.websubDeliveries.inc({ result: 'storage' });
      // A 5xx makes the hub retry later, when storage may be back.
      if (error instanceof MeridianError) return { status: 503, text: 'storage unavailable' };
      throw error;
    }
    if (committed === 'gone') {
      metrics.websubDeliveries.inc({ result: 'unknown' });
      await store.delete(id);
      return { status: 410, text: 'the layer was removed' };
    }
    metrics.websubDeliveries.inc({ result: 'ok' });
    if (committed.total !== record.entries) await store.update(id, { entries: committed.total });
    live(liveDetail(record.hub, record.badSignatures), 'live', { ...record, entries: committed.total });
    return { status: 200, text: 'ok' };
  }

  return {
    verify,
    deliver,
    held() {
      const out: ReturnType<FeedSubscriptions['held']> = [];
      for (const [mapId, open] of maps) {
        for (const slot of open.slots.values()) {
          if (slot.feed) {
            out.push({
              mapId,
              layerId: slot.layer.id,
              mode: slot.feed.mode,
              subscriptionId: slot.feed.subscriptionId,
            });
          }
        }
      }
      return out;
    },
    async close() {
      if (closing) return;
      closing = true;
      clearInterval(timer);
      for (const stop of unsubscribers) stop();
      const stopping = Promise.allSettled([...[...maps.keys()].map((mapId) => closeMap(mapId)), ...letting]);
      await Promise.race([stopping, new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref())]);
      const connection = redis;
      redis = null;
      await connection?.close();
    },
  };
}
