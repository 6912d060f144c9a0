/**
 * The embedded store's database file: opened, watched, and reopened. SQLite
 * keeps writing to a file that was deleted or replaced under it (the open
 * descriptor still points at the old one), so whatever it then commits is lost at
 * the next start. The file at the path is therefore checked against the one
 * opened (device and inode, one stat) every CHECK_EVERY_MS on an unref()ed timer
 * and on every use, and again after each commit, so no batch committed into a
 * file that is gone is ever reported stored.
 *
 *   closed ──open()──► open ──file deleted, moved or replaced──► lost
 *                        ▲                                        │
 *                        └──── a database file is back at the path┘
 *
 * Once lost, the handle is closed at once: SQLite then checkpoints into the old
 * file and removes its own -wal and -shm by name, which must not be laid over
 * whatever file is put back. Every use throws the reason. A file back at the path
 * is reopened once it is a regular SQLite file that has not changed for one check
 * (a copy still being written is not opened); it must already exist: while running,
 * a fresh empty database is never created in place of the lost one.
 */
import { existsSync, openSync, readSync, closeSync, type Stats, statSync, unlinkSync } from 'node:fs';
import Database, { type Database as Db } from 'better-sqlite3';

export const CHECK_EVERY_MS = 1_000;
const SQLITE_HEADER = 'SQLite format 3\0';

export type FileState = 'closed' | 'open' | 'lost';

/** The store's file cannot be used now; the message says why. */
export class StoreFileError extends Error {
  override readonly name = 'StoreFileError';
}

interface FileId {
  dev: number;
  ino: number;
}

export interface DatabaseFileOptions<T> {
  file: string;
  /** Prepares a newly opened handle (pragmas, schema, statements); runs again on every reopen. */
  setUp(db: Db): T;
  /** The file became unusable (the problem) or usable again (null). */
  onChange(problem: Error | null): void;
  checkEveryMs?: number;
  /** For tests: stat and the first bytes of a file. */
  stat?: (path: string) => Stats;
  header?: (path: string) => string;
}

function readHeader(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(SQLITE_HEADER.length);
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.toString('latin1', 0, n);
  } finally {
    closeSync(fd);
  }
}

/** Why the file at `path` is not the one opened as `opened` any more, or null while it is. */
export function fileProblem(path: string, opened: FileId, stat: (path: string) => Stats = statSync): string | null {
  let now: Stats;
  try {
    now = stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return `the database file ${path} was deleted or moved away`;
    return `the database file ${path} cannot be checked: ${(error as Error).message}`;
  }
  if (now.dev !== opened.dev || now.ino !== opened.ino) return `the database file ${path} was replaced by another file`;
  return null;
}

export class DatabaseFile<T> {
  private db: Db | null = null;
  private handle: T | null = null;
  private opened: FileId | null = null;
  /** The -wal and -shm of the open handle, so stale ones are recognised after a loss. */
  private own = new Map<string, FileId>();
  private problem: StoreFileError | null = null;
  /** Why the file was lost, kept while other problems are added to it. */
  private lostReason = '';
  /** While lost: what was at the path at the last check (reopened when it is the same at the next). */
  private seen: string | null = null;
  /** A file at the path that could not be opened, not tried again until it changes. */
  private refused: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private readonly stat: (path: string) => Stats;
  private readonly header: (path: string) => string;
  state: FileState = 'closed';

  constructor(private readonly options: DatabaseFileOptions<T>) {
    this.stat = options.stat ?? statSync;
    this.header = options.header ?? readHeader;
  }

  get file(): string {
    return this.options.file;
  }

  /** Opens the file (creating it if there is none: a first start) and starts watching it. */
  open(): T {
    if (this.state !== 'closed') return this.use();
    const handle = this.connect(false);
    this.timer = setInterval(() => this.check(), this.options.checkEveryMs ?? CHECK_EVERY_MS);
    this.timer.unref();
    return handle;
  }

  /** The open handle, once the file at the path is checked to be the one opened; throws why not. */
  use(): T {
    if (this.state === 'open') this.confirm();
    if (this.state === 'closed') throw new StoreFileError(`the database file ${this.file} is not open`);
    if (this.problem !== null) throw this.problem;
    return this.handle!;
  }

  /** Throws (and marks the file lost) unless the file at the path is still the one opened. */
  confirm(): void {
    if (this.state !== 'open') {
      if (this.problem !== null) throw this.problem;
      return;
    }
    const problem = fileProblem(this.file, this.opened!, this.stat);
    if (problem === null) return;
    this.lose(problem);
    throw this.problem!;
  }

  /** One turn of the watch: notices a loss, or reopens a file that is back. */
  check(): void {
    if (this.state === 'open') {
      try {
        this.confirm();
      } catch {
        // Reported through onChange by lose().
      }
    } else if (this.state === 'lost') this.tryReopen();
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.closeHandle();
    this.state = 'closed';
  }

  private connect(mustExist: boolean): T {
    const db = new Database(this.file, { fileMustExist: mustExist });
    let handle: T;
    try {
      handle = this.options.setUp(db);
    } catch (error) {
      db.close();
      throw error;
    }
    const { dev, ino } = this.stat(this.file);
    this.db = db;
    this.handle = handle;
    this.opened = { dev, ino };
    this.own.clear();
    for (const suffix of ['-wal', '-shm']) {
      const path = this.file + suffix;
      if (existsSync(path)) this.own.set(path, { dev: this.stat(path).dev, ino: this.stat(path).ino });
    }
    this.problem = null;
    this.state = 'open';
    return handle;
  }

  private closeHandle(): void {
    try {
      this.db?.close();
    } catch {
      // A handle on a file that is gone may fail to close cleanly; it is dropped either way.
    }
    this.db = null;
    this.handle = null;
  }

  private lose(reason: string): void {
    this.lostReason = reason;
    this.problem = new StoreFileError(reason);
    this.state = 'lost';
    this.seen = null;
    this.refused = null;
    this.closeHandle();
    this.removeStale();
    this.options.onChange(this.problem);
  }

  /** Removes a -wal or -shm the lost handle left at the path: laid over another file, it would corrupt it. */
  private removeStale(): void {
    for (const [path, id] of this.own) {
      try {
        const now = this.stat(path);
        if (now.dev === id.dev && now.ino === id.ino) unlinkSync(path);
      } catch {
        // Gone already.
      }
    }
  }

  private tryReopen(): void {
    let now: Stats;
    try {
      now = this.stat(this.file);
    } catch {
      this.seen = null;
      return;
    }
    const signature = `${now.dev}:${now.ino}:${now.size}:${now.mtimeMs}`;
    const previous = this.seen;
    this.seen = signature;
    if (signature !== previous || signature === this.refused) return;
    const refuse = (why: string) => {
      this.refused = signature;
      this.problem = new StoreFileError(`${this.lostReason}; the file now at the path ${why}`);
      this.options.onChange(this.problem);
    };
    if (!now.isFile() || now.size === 0) return refuse('is not a database (empty or not a file)');
    try {
      if (this.header(this.file) !== SQLITE_HEADER) return refuse('is not an SQLite database');
      this.removeStale();
      this.connect(true);
    } catch (error) {
      return refuse(`cannot be opened: ${(error as Error).message}`);
    }
    this.options.onChange(null);
  }
}
