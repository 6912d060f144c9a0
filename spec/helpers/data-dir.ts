/**
 * A fresh, empty DATA_DIR for every server a test starts, so no test ever reads
 * or writes the default ./data (or another test's store). Removed when the test
 * process exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();
process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

export function freshDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'chatserver-test-'));
  made.add(dir);
  return dir;
}
