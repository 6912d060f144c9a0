/**
 * `npm start`: configuration, logging, the server, and the process's signals and
 * exit code. The only file that calls process.exit or listens for signals.
 *
 * Exit codes: 0 after a graceful stop (SIGTERM, SIGINT, admin shutdown), 3 after an
 * admin restart (for the process manager to start it again), 1 for a bad
 * configuration, a port that cannot be bound, or an uncaught error.
 */
import { type Config, ConfigError, loadConfig, readEnvFile } from './config.js';
import { createLogger, describeError } from './logger.js';
import { type ChatServer, type ExitCode, PortInUseError, startChatServer } from './server.js';
import { StoreOpenError } from './store/create-store.js';

function fail(message: string): never {
  process.stderr.write(`chatserver: ${message}\n`);
  process.exit(1);
}

const envFile = readEnvFile(process.env.ENV_FILE ?? '.env');
let config: Config;
try {
  if (envFile.problems.length > 0) throw new ConfigError(envFile.problems);
  config = loadConfig({ ...envFile.values, ...process.env });
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
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
let server: ChatServer | undefined;
let pendingStop: { code: ExitCode; reason: string } | undefined;

function stop(code: ExitCode, reason: string): void {
  if (server === undefined) {
    pendingStop ??= { code, reason };
    return;
  }
  // The server keeps its own deadline; this is the last resort if the event loop is wedged.
  setTimeout(() => {
    logger.error('Graceful stop overran its deadline; exiting now', { reason });
    process.exit(code);
  }, config.shutdownTimeoutMs + 1_000).unref();
  void server.stop(code, reason);
}

process.once('SIGTERM', () => stop(0, 'SIGTERM'));
process.once('SIGINT', () => stop(0, 'SIGINT'));
process.on('unhandledRejection', (reason) => {
  logger.error('Unhandled promise rejection (kept running)', describeError(reason));
});
process.on('uncaughtException', (error) => {
  logger.error('Uncaught exception; stopping', describeError(error));
  stop(1, 'uncaught exception');
});

try {
  server = await startChatServer(config, logger);
} catch (error) {
  if (error instanceof PortInUseError || error instanceof StoreOpenError) fail(error.message);
  throw error;
}
if (pendingStop) stop(pendingStop.code, pendingStop.reason);
process.exit(await server.exited);
