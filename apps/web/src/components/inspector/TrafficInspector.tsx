'use client';

import type { MeridianClient } from '@meridian/protocol/client';
import { useEffect, useId, useMemo, useState } from 'react';
import {
  type CaptureEntry,
  type CaptureFilter,
  decodePayload,
  SHOW_EVERYTHING,
  TrafficCapture,
} from '../../inspector/traffic-capture.ts';
import styles from './inspector.module.css';

/** Rows drawn at once; the capture holds more and the export has them all. */
const MAX_ROWS_SHOWN = 300;

/** The key that opens and closes the panel when no text field has focus. */
export const INSPECTOR_KEY = 'i';

function clock(at: number): string {
  const date = new Date(at);
  return `${date.toLocaleTimeString('en-GB', { hour12: false })}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

function describe(entry: CaptureEntry): { label: string; detail: string } {
  if (entry.kind === 'close') {
    return { label: 'close', detail: `code ${entry.code}${entry.reason ? ` — ${entry.reason}` : ''}` };
  }
  if (entry.kind === 'status') return { label: 'status', detail: entry.status };
  return { label: entry.type ?? '(unparsed)', detail: entry.data };
}

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * Every message in and out of this tab's connection, with closes and status changes, in a panel
 * opened by its button or the `i` key. Capture starts with the connection, open panel or not.
 */
export function TrafficInspector({ client, mapId }: { client: MeridianClient | null; mapId: string }) {
  const capture = useMemo(() => new TrafficCapture(), []);
  const [open, setOpen] = useState(false);
  const [filter, setFilter] = useState<CaptureFilter>(SHOW_EVERYTHING);
  const [version, setVersion] = useState(0);
  const [expanded, setExpanded] = useState<number | null>(null);
  const ids = { direction: useId(), type: useId() };

  useEffect(() => {
    if (!client) return;
    let frame = 0;
    // Redraw at most once per animation frame, however many messages arrive.
    const bump = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setVersion((v) => v + 1);
      });
    };
    const offs = [
      client.on('frame', (event) => {
        capture.record({ kind: 'frame', ...event });
        bump();
      }),
      client.on('close', (event) => {
        capture.record({ kind: 'close', at: Date.now(), ...event });
        bump();
      }),
      client.on('status', (state) => {
        const { kind, ...detail } = state;
        const status = Object.keys(detail).length > 0 ? `${kind} ${JSON.stringify(detail)}` : kind;
        capture.record({ kind: 'status', at: Date.now(), status });
        bump();
      }),
    ];
    return () => {
      cancelAnimationFrame(frame);
      for (const off of offs) off();
    };
  }, [client, capture]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (
        event.key !== INSPECTOR_KEY ||
        event.ctrlKey ||
        event.metaKey ||
        event.altKey ||
        isTyping(event.target)
      ) {
        return;
      }
      setOpen((value) => !value);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the capture's change signal.
  const rows = useMemo(
    () => (open ? capture.entries(filter).slice(-MAX_ROWS_SHOWN) : []),
    [open, filter, version],
  );

  const rtt = client?.rttMs;
  return (
    <>
      <button
        type="button"
        className={`small ${styles.toggle}`}
        aria-expanded={open}
        aria-controls="traffic-inspector"
        aria-keyshortcuts={INSPECTOR_KEY}
        data-testid="inspector-toggle"
        title="Traffic inspector (key: i)"
        onClick={() => setOpen((value) => !value)}
      >
        Traffic
      </button>
      {open ? (
        <section
          id="traffic-inspector"
          className={styles.panel}
          aria-label="Traffic inspector"
          data-testid="traffic-inspector"
        >
          <header className={styles.head}>
            <h2>Traffic</h2>
            <span data-testid="inspector-rtt" title="App-level ping round trip">
              RTT {rtt === null || rtt === undefined ? '—' : `${rtt} ms`}
            </span>
            <button
              type="button"
              className="small"
              data-testid="inspector-ping"
              onClick={() => client?.ping()}
            >
              Ping
            </button>
            <span data-testid="inspector-closes" title="Connections closed (reconnects follow)">
              closes {capture.closes}
            </span>
            <button
              type="button"
              className="small"
              onClick={() => setOpen(false)}
              aria-label="Close the traffic inspector"
            >
              ×
            </button>
          </header>
          <div className={styles.controls}>
            <label htmlFor={ids.direction}>Direction</label>
            <select
              id={ids.direction}
              data-testid="inspector-direction"
              value={filter.direction}
              onChange={(event) =>
                setFilter((f) => ({ ...f, direction: event.target.value as CaptureFilter['direction'] }))
              }
            >
              <option value="all">both</option>
              <option value="in">in</option>
              <option value="out">out</option>
            </select>
            <label htmlFor={ids.type}>Type</label>
            <select
              id={ids.type}
              data-testid="inspector-type"
              value={filter.type}
              onChange={(event) => setFilter((f) => ({ ...f, type: event.target.value }))}
            >
              <option value="all">all</option>
              {capture.types.map((type) => (
                <option key={type} value={type}>
                  {type}
                </option>
              ))}
            </select>
            <button
              type="button"
              className="small"
              aria-pressed={capture.paused}
              data-testid="inspector-pause"
              onClick={() => {
                capture.setPaused(!capture.paused);
                setVersion((v) => v + 1);
              }}
            >
              {capture.paused ? 'Resume' : 'Pause'}
            </button>
            <button
              type="button"
              className="small"
              data-testid="inspector-clear"
              onClick={() => {
                capture.clear();
                setVersion((v) => v + 1);
              }}
            >
              Clear
            </button>
            <button
              type="button"
              className="small"
              data-testid="inspector-export"
              onClick={() =>
                download(
                  `meridian-traffic-${mapId}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
                  capture.export({ mapId, exportedAt: new Date().toISOString() }),
                )
              }
            >
              Export JSON
            </button>
            {capture.missed > 0 ? <span className="muted">{capture.missed} missed while paused</span> : null}
          </div>
          <ol className={styles.rows} data-testid="inspector-rows">
            {rows.map((entry) => {
              const { label, detail } = describe(entry);
              const direction = entry.kind === 'frame' ? entry.direction : 'event';
              return (
                <li
                  key={entry.seq}
                  className={styles[direction]}
                  data-testid="inspector-row"
                  data-direction={direction}
                  data-type={label}
                >
                  <button
                    type="button"
                    className={styles.row}
                    aria-expanded={expanded === entry.seq}
                    onClick={() => setExpanded((seq) => (seq === entry.seq ? null : entry.seq))}
                  >
                    <time dateTime={new Date(entry.at).toISOString()}>{clock(entry.at)}</time>
                    <span aria-hidden="true">
                      {direction === 'in' ? '↓' : direction === 'out' ? '↑' : '•'}
                    </span>
                    <span className="visually-hidden">
                      {direction === 'in' ? 'received' : direction === 'out' ? 'sent' : 'event'}
                    </span>
                    <span className={styles.type}>{label}</span>
                    <span className={styles.size}>{entry.kind === 'frame' ? `${entry.bytes} B` : ''}</span>
                    <code className={styles.preview}>{detail}</code>
                  </button>
                  {expanded === entry.seq && entry.kind === 'frame' ? (
                    <pre className={styles.payload} data-testid="inspector-payload">
                      {JSON.stringify(decodePayload(entry.data), null, 2)}
                    </pre>
                  ) : null}
                </li>
              );
            })}
          </ol>
        </section>
      ) : null}
    </>
  );
}
