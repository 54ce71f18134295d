/**
 * The colours a map assigns to the people on it, in the order it hands them out: twelve hues at
 * a medium lightness, then the same hues darker (OKLCH L 0.56 / 0.42), so that the first people
 * on a map get the most distinct colours. Every one keeps white text readable.
 */
export const PERSON_PALETTE = [
  '#c43f3e',
  '#0076d3',
  '#118d29',
  '#8557c8',
  '#b95400',
  '#008f9b',
  '#b24393',
  '#7c7a00',
  '#5a66d6',
  '#009265',
  '#a16800',
  '#be3d70',
  '#842b02',
  '#294793',
  '#006133',
  '#67327d',
  '#753e00',
  '#005c79',
  '#802651',
  '#3d5800',
  '#4e3c8e',
  '#006256',
  '#5e4c00',
  '#852535',
] as const;

/**
 * The `n`th colour past the palette (n ≥ 0): hues a golden angle apart at the palette's darker
 * lightness, so a crowd of listed people still gets colours no one else on the map holds. Only 684
 * of them differ as hex colours (n = 383 is the first to repeat one): a map listing more people than the
 * palette and these lets some share (apps/realtime person-colors.ts).
 */
export function generatedColor(n: number): string {
  const hue = (n * 137.508 + 12) % 360;
  return hslToHex(hue, 0.62, 0.36);
}

function hslToHex(hue: number, saturation: number, lightness: number): string {
  const k = (n: number) => (n + hue / 30) % 12;
  const a = saturation * Math.min(lightness, 1 - lightness);
  const channel = (n: number) => {
    const value = lightness - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1));
    return Math.round(value * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

/** A stable palette colour for a person id: what they ask for, and get when it is free on the map. */
export function preferredColor(personId: string): string {
  let hash = 2166136261;
  for (let i = 0; i < personId.length; i++) {
    hash ^= personId.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return PERSON_PALETTE[(hash >>> 0) % PERSON_PALETTE.length] as string;
}
