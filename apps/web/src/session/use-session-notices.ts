'use client';

import type { Feature, Role } from '@meridian/protocol';
import type { MeridianClient } from '@meridian/protocol/client';
import { useEffect } from 'react';
import { rememberMap } from './recent-maps.ts';
import { refusalNotice } from './refusals.ts';

export type Notify = (message: string, tone?: 'info' | 'error', detail?: string) => void;

export interface RememberedMap {
  mapId: string;
  initialName: string;
  shareKey: string;
  role: Role;
}

/**
 * What the person is told about the session: edits refused for good (named, with the raw reason
 * one click away), server errors; and the map goes into the recent list once it is joined.
 * Transient refusals are not shown: the client retries them and the status says so.
 */
export function useSessionNotices(client: MeridianClient | null, notify: Notify, map: RememberedMap): void {
  const { mapId, initialName, shareKey, role } = map;
  useEffect(() => {
    if (!client) return;
    // The last version of every feature seen, so a refusal can name a feature that is gone now.
    const lastSeen = new Map<string, Feature>();
    const see = (ids: Iterable<string>) => {
      for (const id of ids) {
        const feature = client.features.get(id);
        if (feature) lastSeen.set(id, feature);
      }
    };
    see(client.features.keys());
    let remembered = false;
    const offs = [
      client.on('featuresChanged', ({ ids }) => see(ids === 'all' ? client.features.keys() : ids)),
      client.on('status', (state) => {
        if (state.kind !== 'joined' || remembered) return;
        remembered = true;
        rememberMap(window.localStorage, {
          id: mapId,
          name: client.mapName || initialName,
          path: `/m/${encodeURIComponent(mapId)}?key=${encodeURIComponent(shareKey)}`,
          role: client.role ?? role,
          openedAt: Date.now(),
        });
      }),
      client.on('opRejected', (event) => {
        if (!event.final) return;
        const notice = refusalNotice(event, { features: lastSeen, layers: client.layers });
        notify(notice.text, 'error', notice.detail);
      }),
      client.on('error', (event) => notify(event.message, 'error')),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [client, notify, mapId, initialName, shareKey, role]);
}
