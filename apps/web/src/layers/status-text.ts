import type { LayerStatus } from '@meridian/protocol';
import { humanError } from '../messages/human-error.ts';

/** What a layer's status line shows: one state word for styling, the sentence, and the counters. */
export interface LayerStatusText {
  state: LayerStatus['state'] | 'unknown';
  line: string;
  /** Extra facts worth a glance: entries taken, deliveries refused for a bad signature. */
  notes: string[];
  /** The server's raw words, when the line says them differently (shown behind "Details"). */
  detail: string | null;
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/**
 * The words under a layer's name. The server's `detail` already says it for people
 * (`live (WebSub via hub.example)`, `polling every 60 s (no hub)`, `hub unreachable: …`); this
 * fills in when it is empty, marks errors as errors, and adds the counters.
 */
export function layerStatusText(status: LayerStatus | undefined): LayerStatusText {
  if (!status) return { state: 'unknown', line: 'waiting for the server…', notes: [], detail: null };
  const detail = status.detail.trim();
  let line: string;
  let raw: string | null = null;
  switch (status.state) {
    case 'pending':
      line = detail || 'subscribing…';
      break;
    case 'live':
      line = detail || (status.mode === 'poll' ? 'live (polling)' : 'live (WebSub)');
      break;
    case 'polling':
      line = detail || 'polling';
      break;
    case 'error': {
      const said = humanError(detail.replace(/^error:?\s*/i, '') || 'unknown problem');
      line = `error: ${said.message}`;
      raw = said.detail;
      break;
    }
  }
  const notes = [plural(status.entries, 'entry', 'entries')];
  // The server's words may already say it (`live (WebSub via …); 2 deliveries with a bad signature ignored`).
  if (status.badSignatures > 0 && !/bad signature/i.test(line))
    notes.push(`${plural(status.badSignatures, 'delivery', 'deliveries')} with a bad signature ignored`);
  return { state: status.state, line, notes, detail: raw };
}
