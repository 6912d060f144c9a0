/**
 * DATA_DIR made ready for the database file before SQLite opens it, so a
 * directory that cannot be used is named with the reason (read-only, not a
 * directory, permission denied) rather than SQLite's "unable to open database
 * file" or a bare `ENOENT … mkdir`. Writability is tried with a real file: mode
 * bits say nothing to root, a read-only mount or an immutable directory does.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StoreOpenError } from '../open-error.js';

function why(error: unknown, path: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EROFS':
      return `${path} is read-only (a read-only file system)`;
    case 'EACCES':
    case 'EPERM':
      return `${path} is read-only (permission denied)`;
    case 'ENOTDIR':
    case 'EEXIST':
      return `${path} is not a directory`;
    case 'ENOSPC':
    case 'EDQUOT':
      return `${path} has no space left`;
    default:
      return `${path}: ${(error as Error).message}`;
  }
}

/**
 * Creates `dir` and its missing parents one at a time, throwing the first
 * failure with the directory it happened in (`mkdirSync`'s recursive mode retries
 * an ENOENT for ever on a file system that allows no new entries, such as /proc).
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  let at = dir;
  while (!existsSync(at) && dirname(at) !== at) {
    missing.unshift(at);
    at = dirname(at);
  }
  for (const path of missing) {
    try {
      mkdirSync(path);
    } catch (error) {
      (error as { parent?: string }).parent = dirname(path);
      throw error;
    }
  }
}

/** Creates `dir` if needed and checks a file can be written in it, and `file` (if there) opened for writing. */
export function prepareDataDir(dir: string, file: string): void {
  const fail = (reason: string, cause: unknown): never => {
    throw new StoreOpenError(`DATA_DIR=${dir}: cannot open the embedded store: ${reason}`, { cause });
  };
  try {
    makeDirs(dir);
  } catch (error) {
    const parent = (error as { parent?: string }).parent ?? dirname(dir);
    // ENOENT from mkdir in a parent that exists: a file system that allows no new entries (/proc).
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      fail(`${parent} is read-only (no directory can be created in it)`, error);
    fail(why(error, parent), error);
  }
  if (!statSync(dir).isDirectory()) fail(`${dir} is not a directory`, undefined);
  // A name of its own: several stores may open one directory at once (servers of a
  // cluster, or threads of one process), and must not remove each other's probe.
  const probe = join(dir, `.write-test-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (error) {
    fail(why(error, dir), error);
  }
  if (!existsSync(file)) return;
  if (!statSync(file).isFile()) fail(`${file} is not a regular file`, undefined);
  try {
    accessSync(file, constants.R_OK | constants.W_OK);
  } catch (error) {
    fail(why(error, file), error);
  }
}
