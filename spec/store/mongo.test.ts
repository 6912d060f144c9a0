/**
 * The store contract on MongoDB. Runs only where a server is given in
 * MONGODB_URI (our build machines have none); each case uses a throwaway
 * database that is dropped afterwards. Without MONGODB_URI the suite is reported
 * as skipped, with how to run it.
 */
import { describe } from 'node:test';
import { MongoStore } from '../../src/store/mongo/mongo-store.js';
import { storeContract } from './contract.js';

const uri = process.env.MONGODB_URI ?? '';

if (uri === '') {
  describe(
    'MongoDB store contract',
    {
      skip: 'MONGODB_URI is not set; run it with a MongoDB server: MONGODB_URI=mongodb://127.0.0.1:27017 npm run test:mongo',
    },
    () => undefined,
  );
} else {
  const prefix = `chatserver_test_${process.pid}_${Date.now()}`;
  const created = new Set<string>();
  storeContract('MongoDB', {
    async open(name, retentionDays = 30) {
      const dbName = `${prefix}_${name}`;
      created.add(dbName);
      const store = new MongoStore({ uri, retentionDays, dbName, serverSelectionTimeoutMS: 3_000 });
      await store.open();
      if (!store.connected) {
        await store.close();
        throw new Error(`MONGODB_URI: no MongoDB server answered at ${uri}`);
      }
      return store;
    },
    async cleanup() {
      for (const dbName of created) {
        const store = new MongoStore({ uri, retentionDays: 30, dbName });
        await store.open();
        await store.dropDatabase();
        await store.close();
      }
    },
  });
}
