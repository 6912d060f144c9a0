/**
 * `npm start`: configuration, logging, the server, and the process's signals and
 * exit code; src/signals.ts owns the process's signals and exit.
 *
 * Exit codes: 0 after a graceful stop (SIGTERM, SIGINT, admin shutdown), 3 after an
 * admin restart (for the process manager to start it again), 1 for a bad
 * configuration, a port that cannot be bound, or an uncaught error.
 */
import { type Config, ConfigError, loadConfig, readEnvFile } from './config.js';
import { ListenError } from './lifecycle.js';
import { createLogger } from './logger.js';
import { startChatServer } from './server.js';
import { fail, ProcessSignals } from './signals.js';
import { StoreOpenError } from './store/create-store.js';

const envFile = readEnvFile(process.env.ENV_FILE ?? '.env');
let config: Config;
try {
  if (envFile.problems.length > 0) throw new ConfigError(envFile.problems);
  config = loadConfig({ ...envFile.values, ...process.env });
} catch (error) {
  if (error instanceof ConfigError) fail('chatserver', error.message);
  throw error;
}

const logger = createLogger({ level: config.logLevel, json: config.env === 'production' });
for (const name of config.generatedKeys) {
  const value = name === 'KEY' ? config.key : config.adminKey;
  // Printed once, so a plain `npm start` on a fresh machine can be used at once.
  logger.warn(`${name} is not set; generated one for this run: ${value}`);
}

// Signals are handled from the start: one that arrives while the server is still
// binding waits for it, then stops it gracefully.
const signals = new ProcessSignals({ logger, watchdogMs: config.shutdownTimeoutMs + 1_000 }).listen();
try {
  const server = await startChatServer(config, logger);
  signals.serve(server);
  signals.exitWhen(server.exited);
} catch (error) {
  if (error instanceof ListenError || error instanceof StoreOpenError) fail('chatserver', error.message);
  throw error;
}
