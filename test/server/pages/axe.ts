// What the accessibility tests share: an axe-core run at WCAG 2.1 AA
// whose failure message names every violation with its impact and the nodes it was found on, and the GET
// routes a fastify instance has registered (from its route tree), so a test can tell which pages it missed.
import assert from 'node:assert/strict';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';

export const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** Runs axe on the page as it is (every <details> opened first, so the chart tables are checked too). */
export async function assertAccessible(page: Page, label: string): Promise<void> {
  // A string: the project compiles without the DOM library.
  await page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })");
  const result = await new AxeBuilder({ page }).withTags(WCAG_21_AA).analyze();
  const lines = result.violations.map(
    (v) =>
      `${v.id} (${v.impact ?? 'no impact'}): ${v.help}\n` +
      v.nodes.map((n) => `    ${JSON.stringify(n.target)} ${n.failureSummary ?? ''}`).join('\n'),
  );
  assert.equal(result.violations.length, 0, `${label} (${page.url()}):\n  ${lines.join('\n  ')}`);
  assert.ok(result.passes.length > 0, `${label}: axe ran no checks`);
}

/** The GET routes of `app` below `prefix`, read from fastify's route tree (`printRoutes`). */
export function getRoutes(app: FastifyInstance, prefix: string): string[] {
  const tree = app.printRoutes({ commonPrefix: false, method: 'GET' });
  const stack: string[] = [];
  const out: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[└├]── (\S+) \(/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const route = stack.join('');
    if (route.startsWith(prefix)) out.push(route);
  }
  return out;
}
