/**
 * Picks the store from the configuration: MongoDB when MONGODB_URI is set, the
 * embedded SQLite file in DATA_DIR otherwise (so `npm start` needs no server).
 * Building a store opens nothing: `open()` connects, or opens the file and fails
 * with a StoreOpenError naming DATA_DIR, the path and why.
 */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { MongoStore } from './mongo/mongo-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

export { StoreOpenError } from './open-error.js';

/** The database named in a mongodb:// URI's path, if any. */
export function databaseIn(uri: string): string {
  return /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]*)/.exec(uri)?.[1] ?? '';
}

export function createStore(
  config: Pick<Config, 'mongodbUri' | 'dataDir' | 'transcriptRetentionDays'>,
  logger: Logger,
): Store {
  const log = logger.child({ component: 'store' });
  if (config.mongodbUri) {
    return new MongoStore({
      uri: config.mongodbUri,
      retentionDays: config.transcriptRetentionDays,
      // A URI without a database would otherwise put everything in "test".
      ...(databaseIn(config.mongodbUri) ? {} : { dbName: 'chatserver' }),
      onConnectError: (error) => log.warn('MongoDB connection failed; retrying', { error: error.message }),
    });
  }
  return new SqliteStore({ dataDir: config.dataDir, retentionDays: config.transcriptRetentionDays });
}
