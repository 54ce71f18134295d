/** The realtime API may state expiry as epoch ms or an ISO date; the browser gets epoch ms. */
export function expiresAtMs(expiresAt: number | string): number {
  if (typeof expiresAt === 'number') return expiresAt < 1e12 ? expiresAt * 1000 : expiresAt;
  const parsed = Date.parse(expiresAt);
  return Number.isFinite(parsed) ? parsed : Date.now();
}
