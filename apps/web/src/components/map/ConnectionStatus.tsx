'use client';

import type { MeridianClient } from '@meridian/protocol/client';
import { useEffect, useState } from 'react';
import { connectionText } from '../../session/connection-text.ts';
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

/** Re-render every second while `active`, for countdowns. */
function useSecondTick(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return active ? now : 0;
}

/** The truth about the connection: never pretend edits are shared when they are only queued. */
export function ConnectionStatus({ client }: { client: MeridianClient | null }) {
  useClientVersion(client, ['status', 'featuresChanged', 'snapshotProgress', 'ack', 'opRejected', 'close']);
  const online = useOnline();
  const state = client?.status ?? { kind: 'connecting' as const, attempt: 0 };
  const pending = client?.pendingCount ?? 0;
  const retryAt = client?.retryAt ?? null;
  const counting =
    state.kind === 'backoff' || (state.kind === 'joining' && state.retry !== null) || retryAt !== null;
  useSecondTick(counting);
  const loading = client?.loading ?? null;
  const text = connectionText(state, { pending, retryAt, loading }, online, Date.now());

  return (
    <div
      className="connection"
      data-testid="connection-status"
      data-status={state.kind}
      data-pending={pending}
      data-loaded={loading ? loading.loadedFeatures : undefined}
      data-tone={text.tone}
      data-short={text.short !== undefined ? '' : undefined}
    >
      <span className="dot" aria-hidden="true" />
      <span role="status" aria-live="polite">
        {text.label}
      </span>
      {text.short !== undefined ? (
        <span className="status-short" aria-hidden="true">
          {text.short}
        </span>
      ) : null}
      {text.canRetry ? (
        <button type="button" className="ghost small" onClick={() => client?.connect()}>
          Retry
        </button>
      ) : null}
    </div>
  );
}
