// The system's Chromium for the browser tests (playwright-core drives it; no browser download).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  // Not a skip: CI installs Debian's `chromium`; a missing browser must fail loudly.
  assert.ok(
    fs.existsSync(CHROMIUM),
    `Chromium not found at ${CHROMIUM}: install it (Debian/Raspberry Pi OS: apt-get install chromium) or set CHROMIUM_PATH`,
  );
  return chromium.launch({ executablePath: CHROMIUM, headless: true });
}
