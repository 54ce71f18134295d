import type { FrameEvent } from '@meridian/protocol/client';

/** Frames kept by default: enough for minutes of editing, bounded so a long session stays small. */
export const DEFAULT_CAPTURE_CAPACITY = 2000;

/** One line of the capture: a frame in or out, a close of the connection, or a status change. */
export type CaptureEntry =
  | ({ seq: number; kind: 'frame' } & FrameEvent)
  | { seq: number; kind: 'close'; at: number; code: number; reason: string }
  | { seq: number; kind: 'status'; at: number; status: string };

type NewEntry = CaptureEntry extends infer E ? (E extends CaptureEntry ? Omit<E, 'seq'> : never) : never;

export interface CaptureFilter {
  direction: 'all' | 'in' | 'out';
  /** A message type, or 'all'. Close and status entries are shown with every type. */
  type: string;
}

export const SHOW_EVERYTHING: CaptureFilter = { direction: 'all', type: 'all' };

/**
 * A ring buffer of what went through one connection. While paused it records nothing and counts
 * what it missed, so an export says plainly that it has a hole.
 */
export class TrafficCapture {
  readonly capacity: number;
  #entries: CaptureEntry[] = [];
  #start = 0;
  #nextSeq = 1;
  #paused = false;
  #missed = 0;
  #closes = 0;
  readonly #types = new Set<string>();

  constructor(capacity = DEFAULT_CAPTURE_CAPACITY) {
    this.capacity = capacity;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Entries not recorded because the capture was paused. */
  get missed(): number {
    return this.#missed;
  }

  /** Connections that closed (each one followed by a reconnect unless the client gave up). */
  get closes(): number {
    return this.#closes;
  }

  /** Message types seen since the capture started, sorted, for the type filter. */
  get types(): string[] {
    return [...this.#types].sort();
  }

  setPaused(paused: boolean): void {
    this.#paused = paused;
  }

  record(entry: NewEntry): void {
    if (entry.kind === 'close') this.#closes++;
    if (this.#paused) {
      this.#missed++;
      return;
    }
    if (entry.kind === 'frame' && entry.type) this.#types.add(entry.type);
    const stored = { ...entry, seq: this.#nextSeq++ } as CaptureEntry;
    if (this.#entries.length < this.capacity) {
      this.#entries.push(stored);
    } else {
      this.#entries[this.#start] = stored;
      this.#start = (this.#start + 1) % this.capacity;
    }
  }

  /** Oldest first. */
  entries(filter: CaptureFilter = SHOW_EVERYTHING): CaptureEntry[] {
    const ordered = [...this.#entries.slice(this.#start), ...this.#entries.slice(0, this.#start)];
    return ordered.filter((entry) => matches(entry, filter));
  }

  clear(): void {
    this.#entries = [];
    this.#start = 0;
    this.#missed = 0;
  }

  /** The capture as a JSON document (frame payloads decoded when they are JSON). */
  export(meta: Record<string, unknown> = {}): string {
    const entries = this.entries().map((entry) => {
      if (entry.kind !== 'frame') return entry;
      const { data, ...rest } = entry;
      return { ...rest, payload: decodePayload(data) };
    });
    return JSON.stringify(
      { ...meta, capacity: this.capacity, missedWhilePaused: this.#missed, entries },
      null,
      2,
    );
  }
}

export function matches(entry: CaptureEntry, filter: CaptureFilter): boolean {
  if (entry.kind !== 'frame') return true;
  if (filter.direction !== 'all' && entry.direction !== filter.direction) return false;
  return filter.type === 'all' || entry.type === filter.type;
}

/** A frame's text as parsed JSON when it is JSON, else the text itself. */
export function decodePayload(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}
