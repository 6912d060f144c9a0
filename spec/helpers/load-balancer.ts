/** An in-process load-balancer service on loopback for tests, closed after the test file. */
import { after } from 'node:test';
import { loadLbConfig } from '../../src/loadbalancer/config.js';
import type { ServerEntry } from '../../src/loadbalancer/registry.js';
import { LoadBalancerService } from '../../src/loadbalancer/service.js';
import { testLogger } from './server.js';

export const LB_KEY = 'lb-test-key';

export interface TestBalancer {
  service: LoadBalancerService;
  url: string;
  info(): Promise<Record<string, ServerEntry>>;
}

export async function startTestBalancer(env: Record<string, string> = {}): Promise<TestBalancer> {
  const config = loadLbConfig({ LB_PORT: '0', LB_BIND: '127.0.0.1', LB_KEY, ...env });
  const service = new LoadBalancerService(config, testLogger(), '0.0.0-test');
  await service.listen();
  after(() => service.close());
  const url = `http://127.0.0.1:${service.port}`;
  return {
    service,
    url,
    async info() {
      const res = await fetch(`${url}/info/json`, { headers: { 'X-API-Key': LB_KEY } });
      return ((await res.json()) as { message: Record<string, ServerEntry> }).message;
    },
  };
}
