'use client';

import type { MeridianClient } from '@meridian/protocol/client';
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { MapView } from '../../../map/map-view.ts';
import { useClientVersion } from '../../../session/use-client.ts';
import type { Notify } from '../../../session/use-session-notices.ts';

/** Someone else changed a feature this recently: show them as editing it. */
const REMOTE_EDIT_WINDOW_MS = 8000;
const FOLLOW_EASE_MS = 250;
const SUMMON_EASE_MS = 700;

export interface RemoteEdit {
  clientId: string;
  at: number;
}

/**
 * The other people on the map as this page shows them: whom this person follows (the map tracks
 * their viewport), being brought to someone's view, and who changed which feature moments ago.
 */
export function usePresence(client: MeridianClient | null, view: MapView | null, notify: Notify) {
  const [following, setFollowing] = useState<string | null>(null);
  const [remoteEdits, setRemoteEdits] = useState<ReadonlyMap<string, RemoteEdit>>(new Map());

  /** Follow a person (by person id), or stop with null. */
  const follow = useCallback(
    (personId: string | null) => {
      setFollowing(personId);
      client?.follow(personId);
    },
    [client],
  );

  useEffect(() => {
    if (!client) return;
    return client.on('summon', (from, viewport) => {
      setFollowing(null);
      view?.showViewport(viewport, SUMMON_EASE_MS);
      notify(`${client.peers.get(from)?.name ?? 'Someone'} brought everyone to their view.`);
    });
  }, [client, view, notify]);

  // Who changed which feature: the client says so; feed entries and layer ops are nobody's edit.
  useEffect(() => {
    if (!client) return;
    return client.on('featuresChanged', ({ ids, by }) => {
      if (!by || ids === 'all' || !by.opKind.startsWith('feature.')) return;
      const at = Date.now();
      setRemoteEdits((edits) => {
        const next = new Map(edits);
        for (const id of ids) next.set(id, { clientId: by.clientId, at });
        return next;
      });
    });
  }, [client]);

  // Forget remote edits once they are old.
  const editing = remoteEdits.size > 0;
  useEffect(() => {
    if (!editing) return;
    const timer = setInterval(() => {
      const cutoff = Date.now() - REMOTE_EDIT_WINDOW_MS;
      setRemoteEdits((edits) => new Map([...edits].filter(([, edit]) => edit.at > cutoff)));
    }, 1000);
    return () => clearInterval(timer);
  }, [editing]);

  const presenceVersion = useClientVersion(client, ['presence']);
  const badges = useMemo(() => {
    if (!client || presenceVersion < 0) return [];
    return [...remoteEdits].flatMap(([featureId, edit]) => {
      const peer = client.personOf(edit.clientId);
      return peer ? [{ featureId, name: peer.name, color: peer.color }] : [];
    });
  }, [client, remoteEdits, presenceVersion]);
  useEffect(() => view?.setEditorBadges(badges), [view, badges]);

  // Following: move the map with the followed person's viewport; stop when they leave.
  useEffect(() => {
    if (!client || !view || !following) return;
    let shown = '';
    const track = () => {
      const peer = client.peers.get(following);
      if (!peer) {
        if (client.joined) {
          setFollowing(null);
          client.follow(null);
        }
        return;
      }
      // Presence events come for everyone; only a new viewport of the followed person moves the map.
      const key = peer.viewport ? JSON.stringify(peer.viewport) : '';
      if (peer.viewport && key !== shown) {
        shown = key;
        view.showViewport(peer.viewport, FOLLOW_EASE_MS);
      }
    };
    track();
    return client.on('presence', track);
  }, [client, view, following]);

  return { following, follow, remoteEdits };
}
