'use client';

import { useEffect, useId, useRef, useState } from 'react';
import { describeCloseCode, parseHex, parseSocketUrl, toHex } from '../../echo/payload.ts';
import styles from './echo.module.css';

/** Entries kept in the log; older ones scroll away so a long session stays responsive. */
const MAX_LOG_ENTRIES = 500;

type Kind = 'info' | 'sent' | 'received' | 'error' | 'closed';

interface LogEntry {
  id: number;
  at: number;
  kind: Kind;
  text: string;
  bytes?: number;
  rttMs?: number;
}

type Status = 'idle' | 'connecting' | 'open' | 'closed';

const encoder = new TextEncoder();

function clock(at: number): string {
  const date = new Date(at);
  return `${date.toLocaleTimeString('en-GB', { hour12: false })}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/**
 * Connect to any WebSocket echo server, send text or binary, and read what comes back with
 * sizes and round-trip times. RTT pairs each reply with the oldest message still unanswered,
 * which is exact for an echo server (it answers in order).
 */
export function EchoConsole({ defaultUrl }: { defaultUrl: string }) {
  const [url, setUrl] = useState(defaultUrl);
  const [status, setStatus] = useState<Status>('idle');
  const [mode, setMode] = useState<'text' | 'binary'>('text');
  const [draft, setDraft] = useState('Hello, Meridian');
  const [problem, setProblem] = useState<string | null>(null);
  const [log, setLog] = useState<LogEntry[]>([]);
  const socket = useRef<WebSocket | null>(null);
  const unanswered = useRef<number[]>([]);
  const nextId = useRef(0);
  const ids = { url: useId(), payload: useId(), mode: useId() };

  const append = (entry: Omit<LogEntry, 'id' | 'at'>, at = performance.timeOrigin + performance.now()) =>
    setLog((entries) => [...entries, { ...entry, id: nextId.current++, at }].slice(-MAX_LOG_ENTRIES));

  useEffect(() => () => socket.current?.close(1000, 'page closed'), []);

  const connect = () => {
    const parsed = parseSocketUrl(url);
    if (!parsed.ok) {
      setProblem(parsed.error);
      return;
    }
    setProblem(null);
    socket.current?.close(1000, 'reconnecting');
    unanswered.current = [];
    const ws = new WebSocket(parsed.url);
    ws.binaryType = 'arraybuffer';
    socket.current = ws;
    setStatus('connecting');
    append({ kind: 'info', text: `connecting to ${parsed.url}` });
    ws.onopen = () => {
      if (socket.current !== ws) return;
      setStatus('open');
      const extras = [
        ws.protocol && `subprotocol ${ws.protocol}`,
        ws.extensions && `extensions ${ws.extensions}`,
      ];
      append({ kind: 'info', text: ['connected', ...extras.filter(Boolean)].join('; ') });
    };
    ws.onmessage = (event: MessageEvent<string | ArrayBuffer>) => {
      if (socket.current !== ws) return;
      const sentAt = unanswered.current.shift();
      const rttMs = sentAt === undefined ? undefined : performance.now() - sentAt;
      if (typeof event.data === 'string') {
        append({ kind: 'received', text: event.data, bytes: encoder.encode(event.data).length, rttMs });
      } else {
        const bytes = new Uint8Array(event.data);
        append({ kind: 'received', text: `binary: ${toHex(bytes)}`, bytes: bytes.length, rttMs });
      }
    };
    ws.onerror = () => {
      if (socket.current === ws)
        append({ kind: 'error', text: 'connection error (the browser gives no detail)' });
    };
    ws.onclose = (event) => {
      if (socket.current !== ws) return;
      setStatus('closed');
      const reason = event.reason ? `, reason "${event.reason}"` : '';
      append({
        kind: 'closed',
        text: `closed: code ${event.code} (${describeCloseCode(event.code)})${reason}${event.wasClean ? '' : ', not clean'}`,
      });
    };
  };

  const send = () => {
    const ws = socket.current;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (mode === 'text') {
      ws.send(draft);
      append({ kind: 'sent', text: draft, bytes: encoder.encode(draft).length });
    } else {
      const parsed = parseHex(draft);
      if (!parsed.ok) {
        setProblem(`binary: ${parsed.error}`);
        return;
      }
      ws.send(parsed.bytes);
      append({ kind: 'sent', text: `binary: ${toHex(parsed.bytes)}`, bytes: parsed.bytes.length });
    }
    setProblem(null);
    unanswered.current.push(performance.now());
  };

  const disconnect = () => socket.current?.close(1000, 'closed from the echo page');

  return (
    <main className={styles.page}>
      <h1>WebSocket echo</h1>
      <p className="muted">
        Connect to Meridian’s echo endpoint or any other echo server. Text and binary messages come back
        unchanged; the log shows sizes, round-trip times and the close code.
      </p>
      <form
        className={styles.controls}
        onSubmit={(event) => {
          event.preventDefault();
          connect();
        }}
      >
        <label htmlFor={ids.url}>Server URL</label>
        <input
          id={ids.url}
          data-testid="echo-url"
          value={url}
          onChange={(event) => setUrl(event.target.value)}
          spellCheck={false}
          autoComplete="off"
        />
        <button type="submit" className="primary" data-testid="echo-connect">
          {status === 'open' ? 'Reconnect' : 'Connect'}
        </button>
        <button type="button" data-testid="echo-disconnect" disabled={status !== 'open'} onClick={disconnect}>
          Disconnect
        </button>
        <span role="status" data-testid="echo-status" className={styles.status}>
          {status}
        </span>
      </form>
      <form
        className={styles.controls}
        onSubmit={(event) => {
          event.preventDefault();
          send();
        }}
      >
        <label htmlFor={ids.mode}>Send as</label>
        <select
          id={ids.mode}
          data-testid="echo-mode"
          value={mode}
          onChange={(event) => setMode(event.target.value === 'binary' ? 'binary' : 'text')}
        >
          <option value="text">text</option>
          <option value="binary">binary (hex)</option>
        </select>
        <label htmlFor={ids.payload} className="visually-hidden">
          Message
        </label>
        <textarea
          id={ids.payload}
          data-testid="echo-payload"
          value={draft}
          rows={2}
          onChange={(event) => setDraft(event.target.value)}
          placeholder={mode === 'binary' ? '00 ff 10 7f' : 'text to send'}
        />
        <button type="submit" className="primary" data-testid="echo-send" disabled={status !== 'open'}>
          Send
        </button>
      </form>
      {problem && (
        <p role="alert" className="error" data-testid="echo-problem">
          {problem}
        </p>
      )}
      <div className={styles.logHead}>
        <h2>Log</h2>
        <button type="button" onClick={() => setLog([])} data-testid="echo-clear">
          Clear
        </button>
      </div>
      <ol className={styles.log} data-testid="echo-log" aria-live="polite">
        {log.map((entry) => (
          <li key={entry.id} className={styles[entry.kind]} data-testid={`echo-entry-${entry.kind}`}>
            <time dateTime={new Date(entry.at).toISOString()}>{clock(entry.at)}</time>
            <span className={styles.kind}>{entry.kind}</span>
            <span className={styles.size}>{entry.bytes === undefined ? '' : `${entry.bytes} B`}</span>
            <span className={styles.size} data-testid={entry.rttMs === undefined ? undefined : 'echo-rtt'}>
              {entry.rttMs === undefined ? '' : `${entry.rttMs.toFixed(1)} ms`}
            </span>
            <code className={styles.text}>{entry.text}</code>
          </li>
        ))}
      </ol>
    </main>
  );
}
