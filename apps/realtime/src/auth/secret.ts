import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const SECRET_FILE = 'auth-secret';
const MIN_SECRET_CHARS = 32;

/**
 * The token signing secret: the configured one, or (embedded default) a random one generated once
 * into `<dataDir>/auth-secret` with mode 0600, so tokens survive a restart of the single node.
 * Several nodes must share one secret, so they must set MERIDIAN_AUTH_SECRET.
 */
export function resolveAuthSecret(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = path.join(dataDir, SECRET_FILE);
  try {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored.length >= MIN_SECRET_CHARS) return stored;
    throw new Error(
      `${file} holds fewer than ${MIN_SECRET_CHARS} characters: delete it or set MERIDIAN_AUTH_SECRET`,
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  try {
    // 'wx' fails if another process won the race; then its secret is the one to use.
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readFileSync(file, 'utf8').trim();
  }
}
