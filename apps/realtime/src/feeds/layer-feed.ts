import { randomBytes } from 'node:crypto';
import type { FeedBookkeeping } from '@meridian/db';
import type { Feature, FeedLayer, LayerStatus } from '@meridian/protocol';
import type { Clock } from '../clock.ts';
import type { FeedConfig } from '../env.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { AddressPolicy } from './address-policy.ts';
import { discover } from './discovery.ts';
import type { FeedHost } from './feed-host.ts';
import { HubRequestFailed, sendHubRequest } from './hub-requests.ts';
import { FeedParseError, parseFeed } from './parse-feed.ts';
import { FetchRefused, type SafeFetchLimits, safeFetch } from './safe-fetch.ts';
import type { SubscriptionRecord, SubscriptionStore } from './subscription-store.ts';

/** How long a hub has to verify a (re)subscription (§5.3) before the layer shows an error. */
export const VERIFY_TIMEOUT_MS = 15_000;
const VERIFY_CHECK_MS = 100;
/** Ceiling of the retry back-off after failures. */
const MAX_BACKOFF_S = 15 * 60;
/** Renew the lease when this fraction of it has run. */
const RENEW_AT = 0.8;

/** What a layer's holder uses from its node; the subscription manager provides it. */
export interface FeedRuntime {
  config: FeedConfig;
  host: FeedHost;
  store: SubscriptionStore;
  policy: AddressPolicy;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  fetchLimits?: SafeFetchLimits;
  /**
   * Commit the entries of a layer that differ from the map (idempotent). Resolves with how many
   * changed and how many the layer has now, or `gone` when the layer no longer exists. Throws
   * when storage is down.
   */
  commitEntries(mapId: string, layerId: string, entries: Feature[]): Promise<EntriesCommitted>;
  /** The layer's feed bookkeeping in the database (validators, hub, topic), kept across restarts. */
  bookkeeping: {
    get(mapId: string, layerId: string): Promise<FeedBookkeeping | null>;
    update(mapId: string, layerId: string, bookkeeping: Partial<FeedBookkeeping>): Promise<unknown>;
  };
}

export type EntriesCommitted = { changed: number; total: number } | 'gone';

/** How long a subscription record outlives its lease, for late deliveries and unsubscribe. */
export function recordTtlMs(leaseS: number): number {
  return (leaseS + 3600) * 1000;
}

export function hubHost(hub: string): string {
  try {
    return new URL(hub).host;
  } catch {
    return hub;
  }
}

/** `live (WebSub via hub.example)`, with the deliveries ignored for their signature if any. */
export function liveDetail(hub: string, badSignatures: number): string {
  const via = `live (WebSub via ${hubHost(hub)})`;
  if (badSignatures === 0) return via;
  return `${via}; ${badSignatures} ${badSignatures === 1 ? 'delivery' : 'deliveries'} with a bad signature ignored`;
}

/** Words for a fetch failure: `refused: …` for the address guard, `feed unreachable: …` otherwise. */
function fetchWords(error: unknown, what: 'feed' | 'hub'): string {
  if (error instanceof FetchRefused) {
    if (error.reason === 'address' || error.reason === 'scheme' || error.reason === 'credentials')
      return `refused: ${error.message}`;
    if (error.reason === 'too-large') return `${what} too large: ${error.message}`;
    return `${what} unreachable: ${error.message}`;
  }
  if (error instanceof FeedParseError || error instanceof HubRequestFailed) return error.message;
  return `${what} failed: ${error instanceof Error ? error.message : String(error)}`;
}

type Mode = LayerStatus['mode'];
type Fetched = { changed: boolean; hub: string | null; topic: string } | 'gone' | null;

/**
 * One layer's feed on the node that holds its lock: fetch it, commit its entries, then follow it
 * by WebSub when it names a hub (and this deployment has a public callback URL) or by polling with
 * conditional requests. Every failure becomes the layer's status, and a retry with back-off.
 */
export class LayerFeed {
  readonly mapId: string;
  readonly layer: FeedLayer;
  readonly #rt: FeedRuntime;
  readonly #onGone: () => void;
  #stopped = false;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** Actions run one at a time, in order. */
  #chain: Promise<void> = Promise.resolve();
  #failures = 0;
  #etag: string | undefined;
  #lastModified: string | undefined;
  #bookkeepingLoaded = false;
  /** Hub and topic the feed named when last fetched in full (a 304 repeats them). */
  #discovered: { hub: string | null; topic: string } | null = null;
  #entries = 0;
  #mode: Mode = null;
  #subscription: { id: string; secret: string; hub: string; topic: string } | null = null;
  #lastStatus: Omit<LayerStatus, 'at'> | null = null;

  constructor(mapId: string, layer: FeedLayer, runtime: FeedRuntime, onGone: () => void) {
    this.mapId = mapId;
    this.layer = layer;
    this.#rt = runtime;
    this.#onGone = onGone;
  }

  get mode(): Mode {
    return this.#mode;
  }

  /** The callback id of the live subscription, if any (tests, admin). */
  get subscriptionId(): string | null {
    return this.#subscription?.id ?? null;
  }

  start(): void {
    this.#status('pending', null, `fetching ${hubHost(this.layer.url)}`);
    this.#next(0, () => this.#follow());
  }

  /**
   * Stop following the feed. A WebSub subscription is given up at the hub (§5.1 unsubscribe,
   * verified like a subscribe; whichever node the hub calls answers from the shared record).
   */
  async stop(unsubscribe: boolean): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#chain;
    const subscription = this.#subscription;
    this.#subscription = null;
    if (!subscription) return;
    if (unsubscribe) await this.#unsubscribe(subscription);
    else await this.#rt.store.delete(subscription.id).catch(() => {});
  }

  /** §5.1 unsubscribe; if the hub cannot be told, forget the record so its deliveries get 410 Gone (§7). */
  async #unsubscribe(subscription: { id: string; hub: string; topic: string }): Promise<void> {
    const { store, policy, config } = this.#rt;
    if (!config.publicUrl) {
      await store.delete(subscription.id).catch(() => {});
      return;
    }
    try {
      await store.update(subscription.id, { pendingMode: 'unsubscribe' });
      await sendHubRequest(
        {
          hub: subscription.hub,
          mode: 'unsubscribe',
          topic: subscription.topic,
          callback: `${config.publicUrl}/websub/${subscription.id}`,
        },
        policy,
        this.#rt.fetchLimits,
      );
    } catch (error) {
      this.#rt.logger.info(
        { err: (error as Error).message, layer: this.layer.id },
        'websub unsubscribe failed',
      );
      await store.delete(subscription.id).catch(() => {});
    }
  }

  /** Periodic look at the shared record: the hub may deny a subscription at any time (§5.2). */
  check(): void {
    const subscription = this.#subscription;
    if (!subscription || this.#stopped) return;
    this.#run(async () => {
      const record = await this.#rt.store.get(subscription.id);
      if (this.#stopped || this.#subscription !== subscription) return;
      if (!record) {
        this.#subscription = null;
        this.#fail(new Error('the subscription record expired; subscribing again'), 'hub');
      } else if (record.state === 'denied') {
        this.#subscription = null;
        await this.#rt.store.delete(record.id).catch(() => {});
        this.#fail(
          new Error(`the hub denied the subscription${record.reason ? `: ${record.reason}` : ''}`),
          'hub',
          true,
        );
      }
    });
  }

  // ------------------------------------------------------------------ scheduling

  #run(action: () => Promise<void>): void {
    this.#chain = this.#chain.then(action).catch((error: unknown) => {
      this.#rt.logger.error({ err: error, layer: this.layer.id }, 'feed action failed');
    });
  }

  #next(delayMs: number, action: () => Promise<void>): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#run(action);
    }, delayMs);
    this.#timer.unref?.();
  }

  #backoffMs(): number {
    const interval = this.#rt.config.pollIntervalS;
    const seconds = Math.min(
      interval * 2 ** Math.max(0, this.#failures - 1),
      Math.max(interval, MAX_BACKOFF_S),
    );
    return seconds * 1000;
  }

  #status(
    state: LayerStatus['state'],
    mode: Mode,
    detail: string,
    badSignatures = this.#lastStatus?.badSignatures ?? 0,
  ): void {
    const status = { layerId: this.layer.id, state, mode, detail, badSignatures, entries: this.#entries };
    const last = this.#lastStatus;
    this.#lastStatus = status;
    // Polls that find nothing new say nothing new.
    if (last && JSON.stringify(last) === JSON.stringify(status)) return;
    this.#rt.host.publishLayerStatus(this.mapId, { ...status, at: this.#rt.clock.now() });
  }

  #fail(error: unknown, what: 'feed' | 'hub', long = false): void {
    this.#failures++;
    const words = fetchWords(error, what);
    this.#rt.logger.info({ layer: this.layer.id, map: this.mapId, detail: words }, 'live feed error');
    this.#status('error', this.#mode, words);
    // A denial will not be lifted soon: wait the longest.
    const delay = long ? MAX_BACKOFF_S * 1000 : this.#backoffMs();
    this.#next(delay, () => this.#follow());
  }

  // ------------------------------------------------------------------ the feed

  /** Validators, hub and topic of the last fetch this layer committed, from the database. */
  async #loadBookkeeping(): Promise<void> {
    if (this.#bookkeepingLoaded) return;
    const stored = await this.#rt.bookkeeping.get(this.mapId, this.layer.id);
    this.#bookkeepingLoaded = true;
    // Without the hub and topic a 304 could not tell how to follow the feed: fetch in full then.
    if (!stored?.topic) return;
    this.#etag = stored.etag ?? undefined;
    this.#lastModified = stored.lastModified ?? undefined;
    this.#discovered = { hub: stored.hub, topic: stored.topic };
  }

  /** Fetch the feed (conditionally once we have validators) and commit what changed. */
  async #fetch(): Promise<Fetched> {
    const { metrics } = this.#rt;
    await this.#loadBookkeeping().catch((error: unknown) => {
      this.#rt.logger.warn(
        { err: (error as Error).message, layer: this.layer.id },
        'feed bookkeeping unreadable',
      );
    });
    const headers: Record<string, string> = {
      accept:
        'application/atom+xml, application/rss+xml, application/geo+json, application/json;q=0.9, application/xml;q=0.8, */*;q=0.5',
      'user-agent': 'Meridian live feeds',
    };
    if (this.#discovered && this.#etag) headers['if-none-match'] = this.#etag;
    if (this.#discovered && this.#lastModified) headers['if-modified-since'] = this.#lastModified;
    const response = await safeFetch(this.layer.url, this.#rt.policy, { headers }, this.#rt.fetchLimits);
    if (this.#stopped) return null;
    if (response.status === 304 && this.#discovered) {
      metrics.feedFetches.inc({ result: 'not_modified' });
      return { changed: false, ...this.#discovered };
    }
    if (response.status < 200 || response.status >= 300) {
      metrics.feedFetches.inc({ result: 'error' });
      throw new FetchRefused('network', `the feed answered HTTP ${response.status}`);
    }
    const feed = parseFeed(response.body, this.layer.id, response.url);
    metrics.feedFetches.inc({ result: 'ok' });
    const header = (name: string) => {
      const value = response.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    };
    const found = discover(response.url, header('link'), response.body.toString('utf8'));
    const committed = await this.#rt.commitEntries(this.mapId, this.layer.id, feed.entries);
    if (committed === 'gone') return 'gone';
    this.#entries = committed.total;
    if (this.#subscription) {
      await this.#rt.store.update(this.#subscription.id, { entries: committed.total }).catch(() => {});
    }
    // Validators only once the entries are in: a 304 must never hide entries that were not committed.
    const discovered = { hub: found.hub, topic: found.self ?? response.url };
    const etag = header('etag');
    const lastModified = header('last-modified');
    const changedBookkeeping =
      etag !== this.#etag ||
      lastModified !== this.#lastModified ||
      discovered.hub !== this.#discovered?.hub ||
      discovered.topic !== this.#discovered?.topic;
    this.#etag = etag;
    this.#lastModified = lastModified;
    this.#discovered = discovered;
    if (changedBookkeeping) {
      await this.#rt.bookkeeping
        .update(this.mapId, this.layer.id, {
          etag: etag ?? null,
          lastModified: lastModified ?? null,
          hub: discovered.hub,
          topic: discovered.topic,
        })
        .catch((error: unknown) => {
          this.#rt.logger.warn(
            { err: (error as Error).message, layer: this.layer.id },
            'feed bookkeeping not saved',
          );
        });
    }
    return { changed: committed.changed > 0, ...discovered };
  }

  /** The whole cycle: fetch, commit, then subscribe at the hub or poll. */
  async #follow(): Promise<void> {
    if (this.#stopped) return;
    let fetched: Fetched;
    try {
      fetched = await this.#fetch();
    } catch (error) {
      if (!this.#stopped) this.#fail(error, 'feed');
      return;
    }
    if (fetched === null) return;
    if (fetched === 'gone') return this.#onGone();
    const { publicUrl } = this.#rt.config;
    if (fetched.hub && publicUrl) {
      await this.#subscribe(fetched.hub, fetched.topic);
      return;
    }
    this.#failures = 0;
    this.#mode = 'poll';
    const why = fetched.hub ? 'no MERIDIAN_PUBLIC_URL for the hub to call back' : 'no hub';
    this.#status('polling', 'poll', `polling every ${this.#rt.config.pollIntervalS} s (${why})`);
    this.#next(this.#rt.config.pollIntervalS * 1000, () => this.#poll(why));
  }

  async #poll(why: string): Promise<void> {
    if (this.#stopped) return;
    try {
      const fetched = await this.#fetch();
      if (fetched === null) return;
      if (fetched === 'gone') return this.#onGone();
    } catch (error) {
      if (!this.#stopped) this.#fail(error, 'feed');
      return;
    }
    this.#failures = 0;
    this.#status('polling', 'poll', `polling every ${this.#rt.config.pollIntervalS} s (${why})`);
    this.#next(this.#rt.config.pollIntervalS * 1000, () => this.#poll(why));
  }

  // ------------------------------------------------------------------ WebSub

  /** §5.1 subscribe (or renew with the same callback and secret), then wait for §5.3 verification. */
  async #subscribe(hub: string, topic: string): Promise<void> {
    const { store, config } = this.#rt;
    const publicUrl = config.publicUrl as string;
    const previous = this.#subscription;
    const renewing = previous !== null && previous.hub === hub && previous.topic === topic;
    const subscription = renewing
      ? previous
      : { id: randomBytes(16).toString('base64url'), secret: randomBytes(32).toString('hex'), hub, topic };
    // The feed moved to another hub or topic: give up the old subscription.
    if (previous && !renewing) void this.#unsubscribe(previous);
    this.#mode = 'websub';
    if (!renewing) {
      // The record exists before the hub hears of it: verification may come before the 202 does.
      const record: SubscriptionRecord = {
        ...subscription,
        mapId: this.mapId,
        layerId: this.layer.id,
        pendingMode: 'subscribe',
        state: 'pending',
        leaseS: 0,
        verifiedAt: 0,
        reason: '',
        badSignatures: 0,
        entries: this.#entries,
      };
      await store.put(record, recordTtlMs(config.leaseS));
      this.#subscription = subscription;
      this.#status('pending', 'websub', `subscribing at ${hubHost(hub)}`);
    } else {
      await store.update(subscription.id, { pendingMode: 'subscribe' });
    }
    const sentAt = this.#rt.clock.now();
    try {
      await sendHubRequest(
        {
          hub,
          mode: 'subscribe',
          topic,
          callback: `${publicUrl}/websub/${subscription.id}`,
          secret: subscription.secret,
          leaseS: config.leaseS,
        },
        this.#rt.policy,
        this.#rt.fetchLimits,
      );
    } catch (error) {
      if (!this.#stopped) this.#fail(error, 'hub');
      return;
    }
    const record = await this.#awaitVerification(subscription.id, sentAt);
    if (this.#stopped) return;
    if (record === null || record.state === 'denied' || record.pendingMode !== null) {
      const words =
        record?.state === 'denied'
          ? `the hub denied the subscription${record.reason ? `: ${record.reason}` : ''}`
          : `${hubHost(hub)} did not verify the subscription within ${VERIFY_TIMEOUT_MS / 1000} s (can it reach ${publicUrl}?)`;
      if (record?.state === 'denied') {
        this.#subscription = null;
        await store.delete(subscription.id).catch(() => {});
      }
      this.#fail(new Error(words), 'hub', record?.state === 'denied');
      return;
    }
    this.#failures = 0;
    // Deliveries (on any node) keep the record's count current.
    this.#entries = record.entries;
    this.#status('live', 'websub', liveDetail(hub, record.badSignatures), record.badSignatures);
    const lease = record.leaseS || config.leaseS;
    const renewInMs = Math.max(1000, record.verifiedAt + lease * 1000 * RENEW_AT - this.#rt.clock.now());
    this.#next(renewInMs, () => this.#renew());
  }

  /** At 80% of the lease: fetch (for the current hub and topic) and resubscribe. */
  async #renew(): Promise<void> {
    await this.#follow();
  }

  async #awaitVerification(id: string, sentAt: number): Promise<SubscriptionRecord | null> {
    const deadline = this.#rt.clock.now() + VERIFY_TIMEOUT_MS;
    for (;;) {
      const record = await this.#rt.store.get(id);
      if (!record || record.state === 'denied') return record;
      if (record.pendingMode === null && record.verifiedAt >= sentAt) return record;
      if (this.#stopped || this.#rt.clock.now() > deadline) return record;
      await new Promise((resolve) => setTimeout(resolve, VERIFY_CHECK_MS));
    }
  }
}
