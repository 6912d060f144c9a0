import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { roomPortPattern, roomPortPatternIn, withRoomPortRange } from '../../scripts/nginx-room-ports.js';

describe('the NGINX room-port pattern', () => {
  it('matches exactly the ports of the range, checked against every number up to 99999', () => {
    const ranges: Array<[number, number]> = [
      [34000, 34050],
      [20000, 20049],
      [3417, 34189],
      [1, 65535],
      [9, 10],
      [65535, 65535],
      [99, 1000],
      [40000, 49999],
      [12345, 12345],
    ];
    for (const [min, max] of ranges) {
      const pattern = roomPortPattern(min, max);
      assert.doesNotMatch(pattern, /[{}()]/, 'no braces or parentheses, which NGINX or the site group would misread');
      const re = new RegExp(`^(?:${pattern})$`);
      for (let n = 0; n <= 99_999; n++) {
        if (re.test(String(n)) !== (n >= min && n <= max))
          assert.fail(`${min}..${max}: ${n} is misjudged by ${pattern}`);
      }
      // Leading zeros are not ports.
      assert.equal(re.test(`0${min}`), false);
    }
  });

  it('writes the default range short enough to read', () => {
    assert.equal(roomPortPattern(34000, 34050), '340[0-4][0-9]|34050');
  });

  it('refuses a range that is not one of ports', () => {
    for (const [min, max] of [
      [0, 10],
      [10, 9],
      [1, 65536],
      [1.5, 3],
    ])
      assert.throws(() => roomPortPattern(min!, max!), RangeError);
  });

  it('replaces the pattern of the one room location in a site', () => {
    const site = 'location ~ ^/rooms/(?<room_port>340[0-4][0-9]|34050)/$ {\n';
    const changed = withRoomPortRange(site, 40000, 40099);
    assert.equal(changed, 'location ~ ^/rooms/(?<room_port>400[0-9][0-9])/$ {\n');
    assert.equal(roomPortPatternIn(changed), '400[0-9][0-9]');
    assert.throws(() => withRoomPortRange('no location here', 1, 2), /exactly one/);
    assert.throws(() => withRoomPortRange(site + site, 1, 2), /exactly one/);
  });
});
