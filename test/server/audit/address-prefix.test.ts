// Counted lines of the request log name the client's network, never a single address (HDDT §4.3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addressPrefix } from '../../../server/audit/address-prefix.ts';

test('IPv4 (also IPv4-mapped IPv6) becomes its /24, IPv6 its /48, anything else "unknown"', () => {
  assert.equal(addressPrefix('203.0.113.77'), '203.0.113.0/24');
  assert.equal(addressPrefix('::ffff:198.51.100.9'), '198.51.100.0/24');
  assert.equal(addressPrefix('2001:db8:85a3::8a2e:370:7334'), '2001:db8:85a3::/48');
  assert.equal(addressPrefix('2001:db8::1'), '2001:db8:0::/48');
  assert.equal(addressPrefix('::1'), '0:0:0::/48');
  assert.equal(addressPrefix('fe80::1%eth0'), 'fe80:0:0::/48');
  assert.equal(addressPrefix('not an address'), 'unknown');
  fc.assert(
    fc.property(fc.ipV4(), (ip) => {
      const p = addressPrefix(ip);
      assert.ok(p.endsWith('.0/24') && ip.startsWith(p.slice(0, -5)));
      assert.ok(!p.includes(ip) || ip.endsWith('.0'));
    }),
  );
  fc.assert(
    fc.property(fc.ipV6(), (ip) =>
      assert.match(addressPrefix(ip), /^[0-9a-f]{1,4}(:[0-9a-f]{1,4}){2}::\/48$/),
    ),
  );
});
