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

interface PresenceBarProps {
  client: MeridianClient | null;
  identity: Identity;
  following: string | null;
  onFollow(clientId: string | null): void;
  onEditName(): void;
}

/** Who is here. Clicking someone follows their view; clicking again stops. */
export function PresenceBar({ client, identity, following, onFollow, onEditName }: PresenceBarProps) {
  useClientVersion(client, ['presence']);
  const peers: PresenceEntry[] = client ? [...client.peers.values()] : [];
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
          style={{ background: identity.color }}
          title={`${identity.name} (you) — change your name`}
          aria-label={`You are ${identity.name}. Change your name`}
          data-testid="avatar-self"
          onClick={onEditName}
        >
          {initials(identity.name)}
        </button>
      </li>
      {peers.map((peer) => {
        const isFollowed = following === peer.clientId;
        return (
          <li key={peer.clientId}>
            <button
              type="button"
              className="avatar"
              style={{ background: peer.color }}
              title={`${peer.name}${peer.role === 'view' ? ' (viewing)' : ''}${isFollowed ? ' — following' : ''}`}
              aria-label={isFollowed ? `Stop following ${peer.name}` : `Follow ${peer.name}`}
              aria-pressed={isFollowed}
              data-testid={`avatar-${peer.clientId}`}
              data-name={peer.name}
              data-following={isFollowed}
              onClick={() => onFollow(isFollowed ? null : peer.clientId)}
            >
              {initials(peer.name)}
            </button>
          </li>
        );
      })}
    </ul>
  );
}
