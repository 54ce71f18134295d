import { type BusMessage, parseBusMessage } from '@meridian/protocol';
import type { Bus, BusListener } from './bus.ts';

/**
 * The bus of a single process: several servers built in one process (tests) may share one.
 * Delivery is asynchronous, like a network, so a publisher never re-enters its own listener.
 */
export function createMemoryBus(): Bus {
  const channels = new Map<string, Set<BusListener>>();
  let closed = false;
  return {
    kind: 'memory',
    async subscribe(mapId, listener) {
      let listeners = channels.get(mapId);
      if (!listeners) {
        listeners = new Set();
        channels.set(mapId, listeners);
      }
      // Wrap so the same listener function subscribed twice is two subscriptions.
      const entry: BusListener = (message) => listener(message);
      listeners.add(entry);
      return {
        async unsubscribe() {
          const current = channels.get(mapId);
          current?.delete(entry);
          if (current?.size === 0) channels.delete(mapId);
        },
      };
    },
    publish(message: BusMessage) {
      if (closed) return;
      const listeners = channels.get(message.mapId);
      if (!listeners) return;
      for (const listener of [...listeners]) queueMicrotask(() => listener(message));
    },
    publishEncoded(mapId, raw) {
      if (closed) return;
      const listeners = channels.get(mapId);
      if (!listeners) return;
      // Parsed as a Redis bus would, so tests over this bus take the same path.
      const parsed = parseBusMessage(raw);
      if (!parsed.ok) return;
      for (const listener of [...listeners]) queueMicrotask(() => listener(parsed.value, raw));
    },
    isReady: () => !closed,
    onReconnect: () => () => {},
    async close() {
      closed = true;
      channels.clear();
    },
  };
}
