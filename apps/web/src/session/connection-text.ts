import { CloseCode } from '@meridian/protocol';
import type { ConnectionState } from '@meridian/protocol/client';

export interface ConnectionText {
  tone: 'ok' | 'busy' | 'bad';
  label: string;
  /** The same in a few characters, for a phone's header (where `label` would be cut off). */
  short?: string;
  /** The person can do something: offer a Retry button. */
  canRetry: boolean;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const count = (n: number) => n.toLocaleString('en');
const percent = (part: number, whole: number) =>
  `${whole > 0 ? Math.min(100, Math.floor((part / whole) * 100)) : 0} %`;
const seconds = (ms: number) => `${Math.max(1, Math.ceil(ms / 1000))} s`;

/**
 * The truth about the connection in a few words: never pretend edits are shared when they are
 * only queued, and never say "reconnecting" when the server has refused this client.
 */
export function connectionText(
  state: ConnectionState,
  counts: {
    pending: number;
    retryAt: number | null;
    /** A big map's features streaming in (the client's `loading`). */
    loading?: { loadedFeatures: number; totalFeatures: number } | null;
  },
  online: boolean,
  nowMs: number,
): ConnectionText {
  const waiting = counts.pending > 0 ? ` · ${plural(counts.pending, 'change')} waiting` : '';
  // The browser knows before the socket does: an open socket on a dead network can take a
  // heartbeat to notice, and saying "Connected" meanwhile would be a lie.
  if (!online && state.kind !== 'closed') return { tone: 'bad', label: `Offline${waiting}`, canRetry: false };
  switch (state.kind) {
    case 'joined': {
      if (counts.retryAt !== null && counts.pending > 0)
        return {
          tone: 'busy',
          label: `Connected · server busy, saving ${plural(counts.pending, 'change')} in ${seconds(counts.retryAt - nowMs)}`,
          canRetry: false,
        };
      const saving = counts.pending > 0 ? ` · saving ${plural(counts.pending, 'change')}` : '';
      return { tone: 'ok', label: `Connected${saving}`, canRetry: false };
    }
    case 'idle':
    case 'connecting':
    case 'handshaking':
      return state.kind === 'connecting' && state.attempt > 0
        ? {
            tone: online ? 'busy' : 'bad',
            label: `${online ? 'Reconnecting…' : 'Offline'}${waiting}`,
            canRetry: false,
          }
        : { tone: 'busy', label: `Connecting…${waiting}`, canRetry: false };
    case 'joining':
      if (counts.loading && !state.retry)
        return {
          tone: 'busy',
          label: `Loading ${count(counts.loading.loadedFeatures)} of ${count(counts.loading.totalFeatures)} features…${waiting}`,
          short: `Loading ${percent(counts.loading.loadedFeatures, counts.loading.totalFeatures)}`,
          canRetry: false,
        };
      return state.retry
        ? {
            tone: 'busy',
            label: `Opening the map: the server is not ready, retry in ${seconds(state.retry.at - nowMs)}${waiting}`,
            canRetry: false,
          }
        : { tone: 'busy', label: `Opening the map…${waiting}`, canRetry: false };
    case 'backoff':
      return {
        tone: online ? 'busy' : 'bad',
        label: online ? `Reconnecting in ${seconds(state.at - nowMs)}${waiting}` : `Offline${waiting}`,
        canRetry: false,
      };
    case 'closed': {
      const refused = state.code === CloseCode.POLICY_VIOLATION;
      const why = refused ? 'the server refused this connection' : state.reason || `code ${state.code}`;
      return { tone: 'bad', label: `Disconnected: ${why}${waiting}`, canRetry: true };
    }
  }
}
