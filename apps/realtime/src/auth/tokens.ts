import { type Role, Role as RoleSchema } from '@meridian/protocol';
import { createSigner, createVerifier } from 'fast-jwt';
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

/** The claims beyond what the verifier checks (signature, alg, iss, aud, crit, shape). */
const Claims = z.object({
  mapId: z.string().min(1).max(64),
  role: RoleSchema,
  exp: z.number().int(),
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

/**
 * HS256 JWTs signed with the shared secret; the only place tokens are minted or checked.
 * fast-jwt, because its verifier is synchronous (jose's is async, see `verify`) and it enforces
 * allow-lists: only HS256 (no `none`, no key confusion), our issuer and audience, the claims we
 * need, no unknown `crit` extensions, canonical base64url segments. Expiry is checked here against
 * the injected clock, so tests and the server agree on "now".
 */
export function createTokenService(secret: string, defaultTtlS: number, clock: Clock): TokenService {
  const signer = createSigner({
    key: secret,
    algorithm: ALGORITHM,
    iss: ISSUER,
    aud: AUDIENCE,
    // iat and exp come from the injected clock, in the payload.
    noTimestamp: true,
  });
  const verifier = createVerifier({
    key: secret,
    algorithms: [ALGORITHM],
    allowedIss: ISSUER,
    allowedAud: AUDIENCE,
    requiredClaims: ['iss', 'aud', 'exp', 'mapId', 'role'],
    ignoreExpiration: true,
    cache: false,
  });
  return {
    async sign(grant, ttlS = defaultTtlS) {
      const nowS = Math.floor(clock.now() / 1000);
      const exp = nowS + ttlS;
      const token = signer({ mapId: grant.mapId, role: grant.role, iat: nowS, exp });
      return { token, expiresAt: exp * 1000 };
    },
    verify(token) {
      if (!token || token.length > MAX_TOKEN_CHARS) return INVALID;
      let payload: unknown;
      try {
        payload = verifier(token);
      } catch {
        return INVALID;
      }
      const claims = Claims.safeParse(payload);
      if (!claims.success) return INVALID;
      const { mapId, role, exp } = claims.data;
      if (exp * 1000 <= clock.now()) return { ok: false, reason: 'expired' };
      return { ok: true, claims: { mapId, role, exp } };
    },
  };
}
