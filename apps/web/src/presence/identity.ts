import { DisplayName } from '@meridian/protocol';

/** Presence colours: distinct hues, each dark enough for white text on it. */
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

/** Who this person is on every map they open from this device. */
export interface Identity {
  name: string;
  color: string;
  deviceId: string;
}

const STORAGE_KEY = 'meridian.identity';

/** A stable colour for a device: the same person keeps their colour across maps and visits. */
export function colorFor(deviceId: string): string {
  let hash = 2166136261;
  for (let i = 0; i < deviceId.length; i++) {
    hash ^= deviceId.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return PRESENCE_COLORS[(hash >>> 0) % PRESENCE_COLORS.length] as string;
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
    if (!name.ok || typeof value.deviceId !== 'string' || !value.deviceId) return undefined;
    return { name: name.name, deviceId: value.deviceId, color: colorFor(value.deviceId) };
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
