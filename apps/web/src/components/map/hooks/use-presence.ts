'use client';

import type { MeridianClient } from '@meridian/protocol/client';
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { MapView } from '../../../map/map-view.ts';
import {
  type BulkNoticeEntry,
  BulkNotices,
  bulkNotice,
  freshEdits,
  type RemoteEdit,
  remoteActivity,
  withRemoteEdit,
} from '../../../presence/remote-activity.ts';
import { useClientVersion } from '../../../session/use-client.ts';
import type { Notify } from '../../../session/use-session-notices.ts';

const FOLLOW_EASE_MS = 250;
const SUMMON_EASE_MS = 700;
/** A quiet-import timer firing this late means the page was busy, not that the import went quiet. */
const LATE_TIMER_MS = 1_000;

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

  // Who changed which feature: a tag for a single edit by someone else, the newest few only; a
  // bulk op (an import arrives as many chunks) is added up and told once, when its last chunk
  // arrives, naming its author as the server stamped it (even one only counted in the audience).
  useEffect(() => {
    if (!client) return;
    const notices = new BulkNotices();
    let quiet: ReturnType<typeof setTimeout> | null = null;
    const tell = ({ clientId, name, verb, count, total }: BulkNoticeEntry) =>
      notify(bulkNotice(name ?? client.personOf(clientId)?.name ?? 'Someone', verb, count, total));
    const arm = () => {
      if (quiet) clearTimeout(quiet);
      const at = notices.nextDueAt();
      quiet =
        at === null
          ? null
          : setTimeout(() => {
              // Fired late: the page was busy, and chunks may be waiting behind this timer.
              if (Date.now() - at > LATE_TIMER_MS) notices.resumed(Date.now());
              else for (const entry of notices.due(Date.now())) tell(entry);
              arm();
            }, at - Date.now());
    };
    const off = client.on('featuresChanged', (event) => {
      const activity = remoteActivity(event);
      if (activity?.kind === 'edit') {
        const edit = { clientId: activity.clientId, at: Date.now() };
        setRemoteEdits((edits) => withRemoteEdit(edits, activity.featureId, edit));
      } else if (activity?.kind === 'bulk') {
        const done = notices.add(activity, Date.now());
        if (done) tell(done);
        arm();
      }
    });
    return () => {
      off();
      if (quiet) clearTimeout(quiet);
    };
  }, [client, notify]);

  // Forget remote edits once they are old.
  const editing = remoteEdits.size > 0;
  useEffect(() => {
    if (!editing) return;
    const timer = setInterval(() => setRemoteEdits((edits) => freshEdits(edits, Date.now())), 1000);
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
