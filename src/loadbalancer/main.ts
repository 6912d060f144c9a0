/**
 * `npm run loadbalancer`: the load-balancer service (docs/loadbalancer-protocol.md)
 * from this checkout. Exit codes: 0 after SIGTERM/SIGINT, 1 for a bad
 * configuration or a port that cannot be bound.
 */
import { ConfigError } from '../config.js';
import { createLogger } from '../logger.js';
import { fail, ProcessSignals } from '../signals.js';
import { APP_VERSION } from '../version.js';
import { type LbConfig, loadLbConfig } from './config.js';
import { LoadBalancerService } from './service.js';

let config: LbConfig;
try {
  config = loadLbConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) fail('loadbalancer', error.message);
  throw error;
}

const logger = createLogger({ level: config.logLevel, json: config.env === 'production' });
/** Its own close bounds the stop at 5 s; the watchdog is the last resort. */
const signals = new ProcessSignals({ logger, watchdogMs: 6_000 }).listen();
const service = new LoadBalancerService(config, logger, APP_VERSION);
try {
  await service.listen();
} catch (error) {
  fail('loadbalancer', (error as Error).message);
}
signals.serve({
  async stop(code, reason) {
    logger.info('Stopping', { reason });
    await service.close();
    logger.info('Stopped');
    return code;
  },
});
