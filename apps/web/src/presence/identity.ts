import { DisplayName, Id, preferredColor } from '@meridian/protocol';

/**
 * The colour swatches offered for features: distinct hues, each dark enough for white text on it.
 * People's colours are not these: each map assigns them (PERSON_PALETTE), unique while listed.
 */
export const PRESENCE_COLORS = [
  '#d92d20',
  '#dc6803',
  '#15803d',
  '#0e7490',
  '#1d4ed8',
  '#6d28d9',
  '#be185d',
  '#7c5a12',
  '#4d7c0f',
  '#9333ea',
] as const;

/**
 * Who this person is on every map they open from this browser profile. `deviceId` is their person
 * id: kept in localStorage, so every tab of the profile is the same person to everyone. `color`
 * is the one they ask maps for; a map assigns another when someone there holds it.
 */
export interface Identity {
  name: string;
  color: string;
  deviceId: string;
}

const STORAGE_KEY = 'meridian.identity';

/** The colour a person asks for: stable, so they keep it across maps whenever it is free. */
export function colorFor(deviceId: string): string {
  return preferredColor(deviceId);
}

/** A display name as the protocol accepts it, or an error message for the form. */
export function checkDisplayName(input: string): { ok: true; name: string } | { ok: false; message: string } {
  const parsed = DisplayName.safeParse(input);
  if (parsed.success) return { ok: true, name: parsed.data };
  return { ok: false, message: input.trim() ? 'Use at most 80 characters.' : 'Please enter a name.' };
}

export function loadIdentity(storage: Pick<Storage, 'getItem'>): Identity | undefined {
  try {
    const raw = storage.getItem(STORAGE_KEY);
    if (!raw) return undefined;
    const value = JSON.parse(raw) as Partial<Identity>;
    const name = checkDisplayName(typeof value.name === 'string' ? value.name : '');
    // The id travels as the person id: one that the protocol would refuse is as good as none.
    const deviceId = Id.safeParse(value.deviceId);
    if (!name.ok || !deviceId.success) return undefined;
    return { name: name.name, deviceId: deviceId.data, color: colorFor(deviceId.data) };
  } catch {
    return undefined;
  }
}

export function saveIdentity(storage: Pick<Storage, 'setItem'>, name: string, deviceId: string): Identity {
  const identity = { name, deviceId, color: colorFor(deviceId) };
  try {
    storage.setItem(STORAGE_KEY, JSON.stringify(identity));
  } catch {
    // Private browsing may refuse storage; the name then lasts for this page only.
  }
  return identity;
}
