/**
 * `npm run loadbalancer`: the load-balancer service (docs/loadbalancer-protocol.md)
 * from this checkout. Exit codes: 0 after SIGTERM/SIGINT, 1 for a bad
 * configuration or a port that cannot be bound.
 */
import { ConfigError } from '../config.js';
import { createLogger, describeError } from '../logger.js';
import { APP_VERSION } from '../version.js';
import { type LbConfig, loadLbConfig } from './config.js';
import { LoadBalancerService } from './service.js';

function fail(message: string): never {
  process.stderr.write(`loadbalancer: ${message}\n`);
  process.exit(1);
}

let config: LbConfig;
try {
  config = loadLbConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}

const logger = createLogger({ level: config.logLevel, json: config.env === 'production' });
const service = new LoadBalancerService(config, logger, APP_VERSION);
try {
  await service.listen();
} catch (error) {
  fail((error as Error).message);
}

async function stop(signal: string): Promise<void> {
  logger.info('Stopping', { reason: signal });
  await service.close();
  logger.info('Stopped');
  process.exit(0);
}

process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));
process.on('unhandledRejection', (reason) => {
  logger.error('Unhandled promise rejection (kept running)', describeError(reason));
});
