/**
 * The secret guest tokens are signed with (src/room/guest-token.ts): GUEST_SECRET
 * when set, else a random one kept in DATA_DIR/guest-secret, made on the first
 * start and read on every later one, so a guest's token outlives restarts.
 * Servers of one cluster that do not share DATA_DIR need a shared GUEST_SECRET.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const GUEST_SECRET_FILE = 'guest-secret';

export function guestSecret(configured: string, dataDir: string): string {
  if (configured !== '') return configured;
  const file = join(dataDir, GUEST_SECRET_FILE);
  try {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept !== '') return kept;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new Error(`DATA_DIR=${dataDir}: cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  const fresh = randomBytes(32).toString('base64url');
  const draft = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(draft, `${fresh}\n`, { mode: 0o600 });
    // A link appears whole or not at all: of two servers starting on one DATA_DIR, the second reads the first's.
    linkSync(draft, file);
    return fresh;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw new Error(`DATA_DIR=${dataDir}: cannot keep the guest secret in ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    rmSync(draft, { force: true });
  }
}
