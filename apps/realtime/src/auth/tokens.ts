import { type Role, Role as RoleSchema } from '@meridian/protocol';
import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import type { Clock } from '../clock.ts';

/** What an access token grants: one role on one map, until `exp` (seconds since the epoch). */
export interface AccessClaims {
  mapId: string;
  role: Role;
  exp: number;
}

export type VerifyResult = { ok: true; claims: AccessClaims } | { ok: false; reason: 'expired' | 'invalid' };

const ISSUER = 'meridian';
const AUDIENCE = 'meridian-realtime';
const ALGORITHM = 'HS256';
/** Tokens longer than this are refused before any crypto, so a huge query string costs nothing. */
const MAX_TOKEN_CHARS = 4096;

const Claims = z.object({
  mapId: z.string().min(1).max(64),
  role: RoleSchema,
  exp: z.number().int(),
});

export interface TokenService {
  sign(grant: { mapId: string; role: Role }, ttlS?: number): Promise<{ token: string; expiresAt: number }>;
  verify(token: string): Promise<VerifyResult>;
}

/** HS256 JWTs signed with the shared secret; the only place tokens are minted or checked. */
export function createTokenService(secret: string, defaultTtlS: number, clock: Clock): TokenService {
  const key = new TextEncoder().encode(secret);
  return {
    async sign(grant, ttlS = defaultTtlS) {
      const nowS = Math.floor(clock.now() / 1000);
      const exp = nowS + ttlS;
      const token = await new SignJWT({ mapId: grant.mapId, role: grant.role })
        .setProtectedHeader({ alg: ALGORITHM })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(nowS)
        .setExpirationTime(exp)
        .sign(key);
      return { token, expiresAt: exp * 1000 };
    },
    async verify(token) {
      if (!token || token.length > MAX_TOKEN_CHARS) return { ok: false, reason: 'invalid' };
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: [ALGORITHM],
          issuer: ISSUER,
          audience: AUDIENCE,
          currentDate: new Date(clock.now()),
        });
        const claims = Claims.safeParse(payload);
        return claims.success ? { ok: true, claims: claims.data } : { ok: false, reason: 'invalid' };
      } catch (error) {
        return { ok: false, reason: error instanceof errors.JWTExpired ? 'expired' : 'invalid' };
      }
    },
  };
}
