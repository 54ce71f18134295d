/**
 * Send times travel inside the messages themselves. Every process on the machine reads
 * the same monotonic clock (`process.hrtime` is CLOCK_MONOTONIC), so a receiver in one
 * worker can subtract a sender's stamp from another.
 *
 * A presence message has no free-form field, so the stamp rides in the cursor: the
 * longitude is the send time modulo 100 s, in seconds with µs precision, and the
 * latitude is the run's epoch so a late message from an earlier run is never counted.
 * A durable op carries it in its `opId`.
 */

const WRAP_US = 100_000_000;

export function nowUs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e6 + ns / 1e3;
}

/** Epochs fit in a latitude and stay distinct across the runs of one benchmark. */
export function epochOf(runIndex: number): number {
  return (runIndex % 89) + 1;
}

export function stampedCursor(sentUs: number, epoch: number): [number, number] {
  return [Math.round(sentUs % WRAP_US) / 1e6, epoch];
}

/** Latency of a cursor stamped by `stampedCursor`, or null when it belongs to another run. */
export function cursorLatencyUs(lng: number, lat: number, epoch: number, atUs: number): number | null {
  if (lat !== epoch || !(lng >= 0)) return null;
  const sent = Math.round(lng * 1e6);
  const now = Math.round(atUs % WRAP_US);
  return (now - sent + WRAP_US) % WRAP_US;
}

const CURSOR_KEY = '"cursor":[';

/** Finds the stamped cursor in a JSON text without parsing all of it (the receivers' hot path). */
export function cursorLatencyInText(text: string, epoch: number, atUs: number): number | null {
  const at = text.indexOf(CURSOR_KEY);
  if (at < 0) return null;
  const start = at + CURSOR_KEY.length;
  const comma = text.indexOf(',', start);
  const end = text.indexOf(']', comma);
  if (comma < 0 || end < 0) return null;
  return cursorLatencyUs(Number(text.slice(start, comma)), Number(text.slice(comma + 1, end)), epoch, atUs);
}

export function stampedOpId(sentUs: number, epoch: number, sender: string, n: number): string {
  return `t${Math.round(sentUs)}-${epoch}-${sender}-${n}`;
}

const OP_ID_KEY = '"opId":"t';

/** Latency of the stamped op in a JSON text, or null when there is none from this run. */
export function opLatencyInText(text: string, epoch: number, atUs: number): number | null {
  const at = text.indexOf(OP_ID_KEY);
  if (at < 0) return null;
  const start = at + OP_ID_KEY.length;
  const dash = text.indexOf('-', start);
  const dash2 = text.indexOf('-', dash + 1);
  if (dash < 0 || dash2 < 0 || Number(text.slice(dash + 1, dash2)) !== epoch) return null;
  return Math.max(0, atUs - Number(text.slice(start, dash)));
}

const CURSOR_KEY_BYTES = Buffer.from(CURSOR_KEY);
const OP_ID_KEY_BYTES = Buffer.from(OP_ID_KEY);

/**
 * `cursorLatencyInText` on a byte range, without decoding the message. The search runs on
 * a view of the range: `Buffer.indexOf` from an offset would scan to the end of the whole
 * read buffer, which made a burst of frames quadratic.
 */
export function cursorLatencyInBytes(
  buf: Buffer,
  start: number,
  end: number,
  epoch: number,
  atUs: number,
): number | null {
  const message = buf.subarray(start, end);
  const at = message.indexOf(CURSOR_KEY_BYTES);
  if (at < 0) return null;
  const from = at + CURSOR_KEY_BYTES.length;
  const comma = message.indexOf(44, from);
  const close = message.indexOf(93, comma);
  if (comma < 0 || close < 0) return null;
  return cursorLatencyUs(
    Number(message.toString('latin1', from, comma)),
    Number(message.toString('latin1', comma + 1, close)),
    epoch,
    atUs,
  );
}

/** `opLatencyInText` on a byte range (searched as a view, like `cursorLatencyInBytes`). */
export function opLatencyInBytes(
  buf: Buffer,
  start: number,
  end: number,
  epoch: number,
  atUs: number,
): number | null {
  const message = buf.subarray(start, end);
  const at = message.indexOf(OP_ID_KEY_BYTES);
  if (at < 0) return null;
  const from = at + OP_ID_KEY_BYTES.length;
  const dash = message.indexOf(45, from);
  const dash2 = message.indexOf(45, dash + 1);
  if (dash < 0 || dash2 < 0) return null;
  if (Number(message.toString('latin1', dash + 1, dash2)) !== epoch) return null;
  return Math.max(0, atUs - Number(message.toString('latin1', from, dash)));
}

const CLIENT_ID_KEY_BYTES = Buffer.from('"clientId":"');

/** The send stamp (µs, modulo the wrap) of a delivery that arrived at `atUs` after `latencyUs`. */
export function sentStampUs(atUs: number, latencyUs: number): number {
  return (Math.round(atUs % WRAP_US) - latencyUs + WRAP_US) % WRAP_US;
}

/**
 * What makes a delivery count once: the newest stamp one receiver has seen from each sender in
 * the current run. A broadcast reaching a receiver a second time (a server re-announcing an entry
 * it already sent, with the cursor it still holds), or after a newer one from the same sender,
 * is a repeat, not a delivery: for every system, a delivery is one sender's message reaching one
 * receiver once, as the peers' relays make it.
 */
export class SenderStamps {
  readonly #newest = new Map<string, number>();
  #epoch = -1;

  /** True when `sentUs` is newer than every stamp seen from `sender` in `epoch` (and records it). */
  fresh(sender: string, sentUs: number, epoch: number): boolean {
    if (epoch !== this.#epoch) {
      this.#newest.clear();
      this.#epoch = epoch;
    }
    const newest = this.#newest.get(sender);
    // Newer within half a wrap: a run is far shorter than 50 s, so the stamps cannot alias.
    if (newest !== undefined && (sentUs - newest + WRAP_US) % WRAP_US >= WRAP_US / 2) return false;
    if (newest === sentUs) return false;
    this.#newest.set(sender, sentUs);
    return true;
  }
}

/**
 * Every stamped cursor in one presence frame (a `presence` message or a `presenceBatch` of many
 * entries), except those of the entries whose clientId is `ownId`: one call of `onLatency` per
 * entry from this run, with the entry's share of the frame's bytes and its sender's clientId.
 * Entries are told apart by their `"clientId":"` key, which every presence entry has once, before
 * its cursor.
 */
export function eachCursorLatencyInBytes(
  buf: Buffer,
  start: number,
  end: number,
  epoch: number,
  atUs: number,
  ownId: Buffer,
  onLatency: (latencyUs: number, bytes: number, sender: string) => void,
): void {
  const message = buf.subarray(start, end);
  const starts: number[] = [];
  for (let at = message.indexOf(CLIENT_ID_KEY_BYTES); at >= 0; ) {
    starts.push(at);
    at = message.indexOf(CLIENT_ID_KEY_BYTES, at + CLIENT_ID_KEY_BYTES.length);
  }
  if (starts.length === 0) return;
  const bytesEach = (end - start) / starts.length;
  for (let i = 0; i < starts.length; i++) {
    const from = (starts[i] as number) + CLIENT_ID_KEY_BYTES.length;
    const to = starts[i + 1] ?? message.length;
    const idEnd = message.indexOf(34, from);
    if (idEnd - from === ownId.length && message.compare(ownId, 0, ownId.length, from, idEnd) === 0) continue;
    const latency = cursorLatencyInBytes(message, from, to, epoch, atUs);
    if (latency !== null) onLatency(latency, bytesEach, message.toString('latin1', from, idEnd));
  }
}
