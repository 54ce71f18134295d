import type { BusMessage } from '@meridian/protocol';

/**
 * Receives every message published on one map's channel, by any node (this one included), with
 * the text it arrived as when it came over the wire (a presence batch's frame is forwarded from it).
 */
export type BusListener = (message: BusMessage, raw?: string) => void;

export interface BusSubscription {
  unsubscribe(): Promise<void>;
}

/**
 * Node-to-node messaging, one channel per map. Delivery is best effort: a message published
 * while the bus is down is lost, which is why every op also lives in the op log and nodes
 * fill gaps from it (see rooms/op-sequencer.ts).
 */
export interface Bus {
  readonly kind: 'memory' | 'redis' | 'redis-cluster';
  /** Resolves once the subscription is active, so nothing published afterwards is missed. */
  subscribe(mapId: string, listener: BusListener): Promise<BusSubscription>;
  /** Fire and forget; never throws. Failures are logged and counted. */
  publish(message: BusMessage): void;
  /** `publish` for a message already encoded (a presence batch spliced around its frame's text). */
  publishEncoded(mapId: string, raw: string): void;
  /** Whether messages can flow right now (for /readyz). */
  isReady(): boolean;
  /** Called each time the bus is back after a loss: messages may have been missed meanwhile. */
  onReconnect(listener: () => void): () => void;
  close(): Promise<void>;
}
