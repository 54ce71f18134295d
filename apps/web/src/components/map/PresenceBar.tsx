'use client';

import type { PresenceEntry } from '@meridian/protocol';
import type { MeridianClient } from '@meridian/protocol/client';
import type { Identity } from '../../presence/identity.ts';
import { useClientVersion } from '../../session/use-client.ts';

const initials = (name: string) =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => Array.from(part)[0]?.toUpperCase() ?? '')
    .join('') || '?';

/** Avatars shown before the rest fold into "+N" (a phone row holds this many beside the count). */
const MAX_AVATARS = 6;

interface PresenceBarProps {
  client: MeridianClient | null;
  identity: Identity;
  /** The person id followed, if any. */
  following: string | null;
  onFollow(personId: string | null): void;
  onEditName(): void;
}

/**
 * Who is here: this person, then one avatar per other person doing something on the map (their
 * tabs together; clicking follows their view, clicking again stops), then how many only watch.
 */
export function PresenceBar({ client, identity, following, onFollow, onEditName }: PresenceBarProps) {
  useClientVersion(client, ['presence', 'audience']);
  const peers: PresenceEntry[] = client ? [...client.peers.values()] : [];
  const watching = client?.watching ?? 0;
  // The colour the map assigned (unique there while listed); the asked-for one until then.
  const ownColor = client?.color ?? identity.color;
  return (
    <ul
      className="presence"
      aria-label="People on this map"
      data-testid="presence"
      data-count={peers.length + 1}
    >
      <li>
        <button
          type="button"
          className="avatar self"
          style={{ background: ownColor }}
          title={`${identity.name} (you) — change your name`}
          aria-label={`You are ${identity.name}. Change your name`}
          data-testid="avatar-self"
          data-color={ownColor}
          onClick={onEditName}
        >
          {initials(identity.name)}
        </button>
      </li>
      {peers.slice(0, MAX_AVATARS).map((peer) => {
        const isFollowed = following === peer.personId;
        return (
          <li key={peer.personId}>
            <button
              type="button"
              className="avatar"
              style={{ background: peer.color }}
              title={`${peer.name}${isFollowed ? ' — following' : ''}`}
              aria-label={isFollowed ? `Stop following ${peer.name}` : `Follow ${peer.name}`}
              aria-pressed={isFollowed}
              data-testid={`avatar-${peer.personId}`}
              data-name={peer.name}
              data-color={peer.color}
              data-following={isFollowed}
              onClick={() => onFollow(isFollowed ? null : peer.personId)}
            >
              {initials(peer.name)}
            </button>
          </li>
        );
      })}
      {peers.length > MAX_AVATARS ? (
        <li className="more-people">
          <details data-testid="more-people">
            <summary className="avatar more" title="Everyone else doing something here">
              +{peers.length - MAX_AVATARS}
            </summary>
            <ul className="more-people-list" aria-label="More people on this map">
              {peers.slice(MAX_AVATARS).map((peer) => {
                const isFollowed = following === peer.personId;
                return (
                  <li key={peer.personId}>
                    <button
                      type="button"
                      className="person-choice"
                      aria-label={isFollowed ? `Stop following ${peer.name}` : `Follow ${peer.name}`}
                      aria-pressed={isFollowed}
                      data-testid={`avatar-${peer.personId}`}
                      data-name={peer.name}
                      data-color={peer.color}
                      onClick={() => onFollow(isFollowed ? null : peer.personId)}
                    >
                      <span className="person-dot" style={{ background: peer.color }} aria-hidden="true" />
                      {peer.name}
                      {isFollowed ? ' — following' : ''}
                    </button>
                  </li>
                );
              })}
            </ul>
          </details>
        </li>
      ) : null}
      {watching > 0 ? (
        <li
          className="watching"
          data-testid="watching"
          data-count={watching}
          title="People viewing the map who are not editing or pointing at it"
        >
          {watching} watching
        </li>
      ) : null}
    </ul>
  );
}
