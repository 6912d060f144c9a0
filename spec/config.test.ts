/** loadConfig as an operator meets it: what one run reports, and the values it derives. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, publicHost } from '../src/config.js';

const system = { fdLimit: 65_536 };

/** The problems one loadConfig run reports for `env`. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, system);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  assert.fail('the configuration was accepted');
}

describe('chat modes and guest settings', () => {
  it('reads SHIELD_PRESET as chat modes and names a bad one', () => {
    const config = loadConfig({ SHIELD_PRESET: '{"slow":10,"review":true}', RESERVED_NAMES: 'boss, chief' }, system);
    assert.deepEqual(config.limits.shieldPreset, { slow: 10, review: true });
    assert.deepEqual(config.access.reservedNames, ['boss', 'chief']);
    assert.equal(config.access.guestBansByAddress, true);
    const [problem] = problemsOf({ SHIELD_PRESET: '{"chatDelay":60}' });
    assert.match(problem!, /SHIELD_PRESET.*"chatDelay" must be a whole number from 0 to 10/);
    assert.match(problemsOf({ SHIELD_PRESET: 'slow' })[0]!, /SHIELD_PRESET.*JSON object/);
  });
});

describe('loadConfig reports every problem in one run', () => {
  it('names an unparseable PORT and the keys production requires together', () => {
    const problems = problemsOf({ PORT: 'eighty', NODE_ENV: 'production', KEY: '' });
    assert.deepEqual(
      problems.map((p) => p.split(/[=:]/)[0]),
      ['PORT', 'KEY', 'ADMIN_KEY'],
    );
  });

  it('skips a check whose input did not parse, and still runs the others', () => {
    const problems = problemsOf({ ROOM_PORT_MIN: 'low', PORT: '8080', ADMIN_PORT: '8080', LOADBALANCERS: 'http://lb' });
    assert.equal(problems.length, 3, problems.join('\n'));
    assert.match(problems[0]!, /^ROOM_PORT_MIN="low": /);
    assert.ok(problems.includes('ADMIN_PORT: must differ from PORT'));
    assert.ok(problems.includes('LOADBALANCER_KEY: required when LOADBALANCERS is set'));
  });

  it('checks the connection budget beside a value that did not parse', () => {
    const problems = problemsOf({ LOG_LEVEL: 'loud', MAX_CONNECTIONS: '100000' });
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems[1]!, /^MAX_CONNECTIONS: 100000 needs more than/);
  });
});

describe('the public base URL from HOST', () => {
  it('appends :PORT to a HOST without a port, as the original server did', () => {
    const config = loadConfig({ HOST: 'http://10.0.0.5', PORT: '80' }, system);
    assert.equal(publicHost(config.host, config.port), 'http://10.0.0.5:80');
    assert.equal(publicHost('https://chat.example.com/base', 8080), 'https://chat.example.com:8080/base');
    assert.equal(publicHost('http://[fd00::5]', 8080), 'http://[fd00::5]:8080');
  });

  it("keeps the port a HOST names, even the scheme's default one", () => {
    assert.equal(publicHost('http://10.0.0.5:8000', 80), 'http://10.0.0.5:8000');
    assert.equal(publicHost('https://chat.example.com:443', 8080), 'https://chat.example.com:443');
    assert.equal(publicHost('http://[fd00::5]:81', 8080), 'http://[fd00::5]:81');
  });
});

describe('the default MAX_ROOMS, from memory', () => {
  const GIB = 1024 ** 3;
  const slotsOn = (totalMemBytes: number, env: Record<string, string> = {}) => {
    const config = loadConfig(env, { fdLimit: 65_536, totalMemBytes });
    return { slots: config.maxRooms, from: config.maxRoomsFrom };
  };

  it('gives a 2 GiB machine 20 rooms', () => {
    assert.deepEqual(slotsOn(2 * GIB).slots, 20);
    assert.deepEqual(slotsOn(1.9 * GIB).slots, 20, 'a 2 GiB machine whose kernel keeps some');
    assert.equal(slotsOn(GIB).slots, 8);
  });

  it('gives half the memory at 64 MB per room, capped at the room port range', () => {
    assert.equal(slotsOn(4 * GIB).slots, 32);
    const big = slotsOn(24 * GIB);
    assert.equal(big.slots, 51);
    assert.equal(
      big.from,
      'memory: 24.0 GiB, half for rooms at 64 MB per room = 192, ' +
        'capped at the 51 ports of ROOM_PORT_MIN..ROOM_PORT_MAX (34000..34050); set MAX_ROOMS to choose',
    );
    assert.equal(slotsOn(24 * GIB, { ROOM_PORT_MAX: '34999' }).slots, 192);
  });

  it('keeps an explicit MAX_ROOMS, and refuses one the port range cannot hold', () => {
    assert.deepEqual(slotsOn(24 * GIB, { MAX_ROOMS: '3' }), { slots: 3, from: 'MAX_ROOMS' });
    assert.deepEqual(problemsOf({ MAX_ROOMS: '60' }), [
      'MAX_ROOMS: 60 rooms need 60 ports; ROOM_PORT_MIN..ROOM_PORT_MAX holds 51',
    ]);
  });
});
