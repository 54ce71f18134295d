'use client';

import type { MeridianClient } from '@meridian/protocol/client';
import { useEffect, useState } from 'react';
import { useClientVersion } from '../../session/use-client.ts';

function useOnline(): boolean {
  const [online, setOnline] = useState(true);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    update();
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    return () => {
      window.removeEventListener('online', update);
      window.removeEventListener('offline', update);
    };
  }, []);
  return online;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The truth about the connection: never pretend edits are shared when they are only queued. */
export function ConnectionStatus({ client }: { client: MeridianClient | null }) {
  useClientVersion(client, ['status', 'state', 'ack', 'reject', 'close']);
  const online = useOnline();
  const status = client?.status ?? 'connecting';
  const pending = client?.pendingCount ?? 0;
  const close = client?.lastClose;

  let tone: 'ok' | 'busy' | 'bad';
  let label: string;
  if (status === 'open') {
    tone = 'ok';
    label = pending > 0 ? `Connected · saving ${plural(pending, 'change')}` : 'Connected';
  } else if (status === 'connecting' || status === 'idle') {
    tone = 'busy';
    label = 'Connecting…';
  } else if (status === 'reconnecting') {
    tone = online ? 'busy' : 'bad';
    const queued = pending > 0 ? ` · ${plural(pending, 'change')} waiting` : '';
    label = `${online ? 'Reconnecting…' : 'Offline'}${queued}`;
  } else {
    tone = 'bad';
    label = `Disconnected${close?.reason ? `: ${close.reason}` : ''}`;
  }

  return (
    <div
      className="connection"
      data-testid="connection-status"
      data-status={status}
      data-pending={pending}
      data-tone={tone}
    >
      <span className="dot" aria-hidden="true" />
      <span role="status" aria-live="polite">
        {label}
      </span>
      {status === 'failed' ? (
        <button type="button" className="ghost small" onClick={() => client?.connect()}>
          Retry
        </button>
      ) : null}
    </div>
  );
}
