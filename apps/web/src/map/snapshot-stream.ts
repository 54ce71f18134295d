import type { MeridianClient } from '@meridian/protocol/client';

/**
 * Tells the map whether a snapshot is streaming into it, for the doubling steps of a join (see
 * FeatureFlushPacer). Only a real stream says so: `client.loading`, set from `snapshotBegin` until
 * `snapshotEnd`, read again at each client event that can start or end one. A lost connection
 * never does: the client forgets a broken stream before it reports its new status, so a drop
 * mid-stream ends the hold (what arrived is drawn at once), and the states of a reconnect
 * (backoff, connecting, handshaking, joining) never start one. `onChange` is called with the
 * state at once, then on each change. Returns the function that stops watching.
 */
export function watchSnapshotStream(
  client: Pick<MeridianClient, 'loading' | 'on'>,
  onChange: (streaming: boolean) => void,
): () => void {
  let streaming = client.loading !== null;
  onChange(streaming);
  const check = () => {
    const now = client.loading !== null;
    if (now === streaming) return;
    streaming = now;
    onChange(now);
  };
  const offs = [
    client.on('snapshotProgress', check),
    client.on('featuresChanged', check),
    client.on('status', check),
  ];
  return () => {
    for (const off of offs) off();
  };
}
