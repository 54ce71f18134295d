import { createHmac, timingSafeEqual } from 'node:crypto';
import { type Role, Role as RoleSchema } from '@meridian/protocol';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
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
  iss: z.literal(ISSUER),
  aud: z.union([z.literal(AUDIENCE), z.array(z.string()).refine((aud) => aud.includes(AUDIENCE))]),
});

export interface TokenService {
  sign(grant: { mapId: string; role: Role }, ttlS?: number): Promise<{ token: string; expiresAt: number }>;
  /**
   * Synchronous on purpose: the upgrade handler verifies before it returns, so the upgrade happens
   * inside uWS's own corked handler. Upgrading later from a promise is what uWS v20.51 gets wrong
   * (a socket upgraded inside `res.cork()` after an await may be closed right after `open`,
   * uWebSockets #1928), and uncorked it warns on every upgrade.
   */
  verify(token: string): VerifyResult;
}

const INVALID: VerifyResult = { ok: false, reason: 'invalid' };

/** HS256 JWTs signed with the shared secret; the only place tokens are minted or checked. */
export function createTokenService(secret: string, defaultTtlS: number, clock: Clock): TokenService {
  const key = new TextEncoder().encode(secret);
  return {
    async sign(grant, ttlS = defaultTtlS) {
      const nowS = Math.floor(clock.now() / 1000);
      const exp = nowS + ttlS;
      const token = await new SignJWT({ mapId: grant.mapId, role: grant.role })
        .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(nowS)
        .setExpirationTime(exp)
        .sign(key);
      return { token, expiresAt: exp * 1000 };
    },
    verify(token) {
      if (!token || token.length > MAX_TOKEN_CHARS) return INVALID;
      const parts = token.split('.');
      if (parts.length !== 3) return INVALID;
      const [header, payload, signature] = parts as [string, string, string];
      try {
        const protectedHeader = decodeProtectedHeader(token);
        // Only plain HS256: no `none`, no other algorithm, no extensions we would have to understand.
        if (
          protectedHeader.alg !== ALGORITHM ||
          protectedHeader.crit !== undefined ||
          protectedHeader.b64 === false
        ) {
          return INVALID;
        }
      } catch {
        return INVALID;
      }
      const expected = createHmac('sha256', key).update(`${header}.${payload}`).digest();
      const given = Buffer.from(signature, 'base64url');
      // Buffer's base64url decoder skips stray characters: insist on the canonical encoding.
      if (given.toString('base64url') !== signature || given.length !== expected.length) return INVALID;
      if (!timingSafeEqual(given, expected)) return INVALID;
      let claims: z.infer<typeof Claims>;
      try {
        const parsed = Claims.safeParse(decodeJwt(token));
        if (!parsed.success) return INVALID;
        claims = parsed.data;
      } catch {
        return INVALID;
      }
      if (claims.exp * 1000 <= clock.now()) return { ok: false, reason: 'expired' };
      return { ok: true, claims: { mapId: claims.mapId, role: claims.role, exp: claims.exp } };
    },
  };
}
