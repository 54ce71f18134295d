import { generatedColor, PERSON_PALETTE, type PresenceEntry } from '@meridian/protocol';

/**
 * Colours of the people listed on one map, unique while they are there, across every node.
 *
 * Each node assigns colours to its own tabs from what it knows of the map (its tabs and its
 * peers'), so two nodes can pick the same colour for two people at once. Every node settles that
 * race with the same rule, from the entries alone:
 * - a person's colour is the one of their tab with the lowest client id (their other tabs adopt it);
 * - when two people hold one colour, the lower person id keeps it; the nodes holding the other
 *   person's tabs re-pick among the colours nobody holds and announce the change.
 * Each round settles at least the lowest contender, so the map converges after a few bus trips.
 */

/** Each listed person's colour: the one of their tab with the lowest client id. */
function colorsByPerson(entries: Iterable<PresenceEntry>): Map<string, string> {
  const lowestTab = new Map<string, PresenceEntry>();
  for (const entry of entries) {
    const seen = lowestTab.get(entry.personId);
    if (!seen || entry.clientId < seen.clientId) lowestTab.set(entry.personId, entry);
  }
  return new Map([...lowestTab].map(([personId, entry]) => [personId, entry.color]));
}

function hash(text: string): number {
  let value = 2166136261;
  for (let i = 0; i < text.length; i++) {
    value ^= text.charCodeAt(i);
    value = Math.imul(value, 16777619);
  }
  return value >>> 0;
}

/**
 * The generated hues past the palette that differ once written as hex (684 of them: the hues are a
 * golden angle apart but a 6-digit colour at one saturation and lightness has only so many), in
 * the order `generatedColor` reaches them. Past the palette and these, colours repeat.
 */
const GENERATED_COLORS: readonly string[] = (() => {
  const distinct = new Set<string>();
  // The golden angle visits every hex-distinct hue within the first few thousand steps.
  for (let n = 0; n < 4096; n++) {
    const color = generatedColor(n);
    if (!(PERSON_PALETTE as readonly string[]).includes(color)) distinct.add(color);
  }
  return [...distinct];
})();

/** How many people a map can list before two of them share a colour. */
export const DISTINCT_COLORS = PERSON_PALETTE.length + GENERATED_COLORS.length;

/**
 * A colour nobody in `taken` holds: `preferred` when it is a palette colour and free, else the
 * first free palette colour (or, with `spreadBy`, a free one chosen by that key, so that people
 * re-picking at the same moment on different nodes rarely pick the same), then generated hues;
 * null when every colour is taken (a map with more listed people than DISTINCT_COLORS).
 */
export function freeColor(taken: ReadonlySet<string>, preferred?: string, spreadBy?: string): string | null {
  if (preferred && (PERSON_PALETTE as readonly string[]).includes(preferred) && !taken.has(preferred)) {
    return preferred;
  }
  const free = PERSON_PALETTE.filter((color) => !taken.has(color));
  const offset = spreadBy === undefined ? 0 : hash(spreadBy);
  if (free.length > 0) return free[offset % free.length] as string;
  // A map can list more people than there are colours (the sweep lists 1,000): the search must end
  // (an unbounded one spun a node at 100 % CPU, sending nothing, from the 709th listed person on).
  for (let i = 0; i < GENERATED_COLORS.length; i++) {
    const color = GENERATED_COLORS[(offset + i) % GENERATED_COLORS.length] as string;
    if (!taken.has(color)) return color;
  }
  return null;
}

/** The colour a person shares when every colour is taken: a generated hue chosen by their id, the same on every node. */
function sharedColor(personId: string): string {
  return GENERATED_COLORS[hash(personId) % GENERATED_COLORS.length] as string;
}

/**
 * The colour for a newly listed tab of `personId`, given every listed entry on the map: the
 * person's colour when another of their tabs is listed, else `preferred` if free, else the first
 * free palette colour, else a free generated hue chosen by the person id. On a crowded map people are
 * listed on several nodes at once; were the hue the first free one, every node would pick the same
 * and all but one would re-pick and announce it again (to every member), most of the time. With
 * every colour taken the person shares one, chosen by their id.
 */
export function colorForNewTab(
  personId: string,
  preferred: string,
  entries: Iterable<PresenceEntry>,
): string {
  const people = colorsByPerson(entries);
  const known = people.get(personId);
  if (known !== undefined) return known;
  const taken = new Set(people.values());
  const paletteFull = PERSON_PALETTE.every((color) => taken.has(color));
  const free = paletteFull ? freeColor(taken, undefined, personId) : freeColor(taken, preferred);
  return free ?? sharedColor(personId);
}

/**
 * The local tabs whose colour must change (client id → new colour), given this node's tabs and
 * every listed entry on the map (local ones included): adopt the person's colour, or re-pick when
 * a lower person id holds it and a colour is free. With none free, sharing is accepted (a re-pick
 * would only move the clash to another colour, announced to everyone for nothing).
 */
export function colorCorrections(
  local: Iterable<PresenceEntry>,
  all: Iterable<PresenceEntry>,
): Map<string, string> {
  const people = colorsByPerson(all);
  const holder = new Map<string, string>();
  for (const [personId, color] of people) {
    const current = holder.get(color);
    if (current === undefined || personId < current) holder.set(color, personId);
  }
  const taken = new Set(people.values());
  const repicked = new Map<string, string>();
  // Once a re-pick found nothing free, the rest would not either: each would scan every colour.
  let allTaken = false;
  const corrections = new Map<string, string>();
  for (const entry of local) {
    const color = people.get(entry.personId) ?? entry.color;
    let wanted = color;
    if (holder.get(color) !== entry.personId) {
      const picked =
        repicked.get(entry.personId) ?? (allTaken ? null : freeColor(taken, undefined, entry.personId));
      if (picked === null) allTaken = true;
      else {
        wanted = picked;
        repicked.set(entry.personId, picked);
        taken.add(picked);
      }
    }
    if (wanted !== entry.color) corrections.set(entry.clientId, wanted);
  }
  return corrections;
}
