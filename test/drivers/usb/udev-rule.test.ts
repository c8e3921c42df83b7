// The shipped udev rule grants access to exactly the meters the drivers know (drivers/usb/usb-models.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { USB_MODELS, hex4 } from '../../../drivers/usb/usb-models.ts';

const RULE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../deploy/udev/70-hddt-gateway-usb-meters.rules',
);

test('every known HID meter id has a hidraw rule, and the Verio a scsi_generic rule gated on vendor LifeScan', () => {
  const lines = fs
    .readFileSync(RULE, 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'));
  const granted = new Set<string>();
  for (const l of lines) {
    assert.match(l, /GROUP="hddt-gateway", MODE="0660"$/);
    const vid = /ATTRS\{idVendor\}=="([0-9a-f]{4})"/.exec(l)?.[1];
    const pids = /ATTRS\{idProduct\}=="([0-9a-f|]+)"/.exec(l)?.[1];
    if (vid && pids) for (const p of pids.split('|')) granted.add(`${vid}:${p}`);
  }
  for (const m of USB_MODELS.filter((x) => x.protocol !== 'verio-scsi')) {
    assert.ok(granted.has(`${hex4(m.vendorId)}:${hex4(m.productId)}`), `${m.model} missing`);
  }
  assert.ok(
    lines.some((l) => /SUBSYSTEM=="scsi_generic"/.test(l) && /ATTRS\{vendor\}=="LifeScan\*"/.test(l)),
  );
});
