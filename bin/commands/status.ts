// `hddt-gateway status [--json]`: the status page's facts in the terminal. Asks the running gateway's operator
// server (/status.json on loopback) first, for live connection state and recent errors; without a running
// gateway (or with an operator login) it reads the database alone.
import fs from 'node:fs';
import type { Command } from 'commander';
import pc from 'picocolors';
import { dataPath } from '../../config/load.ts';
import type { GatewayConfig } from '../../config/types.ts';
import { openStore } from '../../gateway/store/store.ts';
import { isLoopbackHost } from '../../server/operator/auth.ts';
import {
  formatAgo,
  formatBytes,
  formatDuration,
  formatPercent,
  formatReading,
} from '../../server/operator/format.ts';
import { collectStatus, type StatusSnapshot } from '../../server/operator/status.ts';
import { UsageError, action, configForReading, withConfigOption } from './common.ts';

/** The operator server's status URL when this machine can ask it without a login, else null. */
export function liveStatusUrl(config: GatewayConfig): string | null {
  const op = config.operator;
  if (!op.enabled || op.login || op.tls || op.port === 0) return null;
  const any = op.host === '0.0.0.0' || op.host === '::';
  if (!any && !isLoopbackHost(op.host)) return null;
  const host =
    any || op.host === 'localhost' ? '127.0.0.1' : op.host.includes(':') ? `[${op.host}]` : op.host;
  return `http://${host}:${op.port}/status.json`;
}

async function fetchLive(url: string): Promise<StatusSnapshot | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return null;
    const body = (await res.json()) as StatusSnapshot;
    return typeof body.gatewayId === 'string' && Array.isArray(body.devices) ? body : null;
  } catch {
    return null;
  }
}

function fromDatabase(config: GatewayConfig): StatusSnapshot {
  const file = dataPath(config, config.store.file);
  if (!fs.existsSync(file))
    throw new UsageError(`no database at ${file} (has the gateway run with this dataDir?)`);
  const store = openStore({ path: file, readonly: true });
  try {
    return collectStatus({ config, store, probes: null }, Date.now());
  } finally {
    store.close();
  }
}

export function useColor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  if ('NO_COLOR' in env && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

type Colors = ReturnType<typeof pc.createColors>;

const label = (c: Colors, t: string) => c.dim(t.padEnd(11));

function overviewLines(s: StatusSnapshot, c: Colors, liveFrom: string | null): string[] {
  const head = [
    c.bold(`hddt-gateway ${s.gatewayId}`),
    s.source === 'live' ? (s.ready ? c.green('ready') : c.red('not ready')) : c.dim('gateway not reachable'),
    s.uptimeSeconds === null ? null : `up ${formatDuration(s.uptimeSeconds)}`,
    s.source === 'live' ? c.dim(`live from ${liveFrom}`) : c.dim('from the database'),
  ].filter(Boolean);
  const parts = s.parts.map((p) => {
    if (!p.enabled) return c.dim(`${p.name}: off`);
    if (p.running === null) return `${p.name}: on`;
    return p.running ? c.green(`${p.name}: running`) : c.red(`${p.name}: not running`);
  });
  return [
    head.join(' · '),
    label(c, 'parts') + parts.join('  '),
    label(c, 'database') +
      `${s.store.file} ${formatBytes(s.store.bytes)} (WAL ${formatBytes(s.store.walBytes)})`,
    label(c, 'pairings') + `${s.pairings.active} active (${s.pairings.total} in total)`,
    syncLine(s.sync, c),
  ];
}

function syncLine(y: StatusSnapshot['sync'], c: Colors): string {
  const conn =
    y.connected === null
      ? c.dim('broker unknown')
      : y.connected
        ? c.green('connected')
        : c.red('disconnected');
  const oldest = y.oldestAgeSeconds === null ? '—' : formatDuration(y.oldestAgeSeconds);
  const backlog = `backlog ${y.entries} entries (${y.unsent} unsent), oldest ${oldest}`;
  const alarm = y.alarm.active ? c.red(`ALARM: ${y.alarm.reason}`) : 'no alarm';
  return label(c, 'sync') + [y.enabled ? 'enabled' : c.dim('disabled'), conn, backlog, alarm].join(' · ');
}

function deviceLines(d: StatusSnapshot['devices'][number], c: Colors): string[] {
  const what = [d.kind.toUpperCase(), [d.manufacturer, d.model].filter(Boolean).join(' ') || d.transport];
  if (d.serialNumber) what.push(`serial ${d.serialNumber}`);
  const facts: string[] = [];
  if (d.connection)
    facts.push(`connection ${d.connection === 'syncing' ? c.green(d.connection) : d.connection}`);
  if (d.lastOutcome) facts.push(`last sync ${d.lastOutcome}`);
  if (d.lastReading) {
    const age = formatAgo(d.lastReading.ageSeconds);
    facts.push(
      `last ${formatReading(d.lastReading)} ${d.lastReading.ageSeconds > 900 ? c.yellow(age) : age}`,
    );
  } else facts.push(c.dim('no reading'));
  if (d.session?.expiresInSeconds != null) {
    const when = formatAgo(-d.session.expiresInSeconds);
    facts.push(d.session.expired ? c.red(`sensor expired ${when}`) : `sensor expires ${when}`);
  }
  facts.push(`${d.readingsStored} stored`);
  if (d.rejected) facts.push(c.yellow(`${d.rejected} rejected`));
  return [`  ${c.cyan(d.key)}  ${what.join(' · ')}`, `    ${facts.join(' · ')}`];
}

function glucoseLine(g: StatusSnapshot['glucose'], c: Colors): string {
  const tir = g.agp14d.timeInRange;
  const fourteen = tir
    ? `${g.agp14d.samples} samples, below 70 ${formatPercent(tir.below)}, 70–180 ${formatPercent(tir.within)}, ` +
      `above 180 ${formatPercent(tir.above)}`
    : 'no CGM data';
  return (
    label(c, 'glucose') +
    `last 24 h: ${g.last24h.cgmSamples} CGM samples, ${g.last24h.meterReadings} meter readings · 14 days: ` +
    fourteen
  );
}

function eventLines(events: StatusSnapshot['recentEvents'], c: Colors): string[] {
  const out = ['', c.bold('recent warnings and errors')];
  if (events.length === 0) out.push(c.dim('  none since start'));
  for (const e of events.slice(0, 10)) {
    const lvl = e.level === 'warn' ? c.yellow(e.level) : c.red(e.level);
    out.push(`  ${e.at.slice(0, 19).replace('T', ' ')} ${lvl} ${e.component ?? '-'}: ${e.message}`);
  }
  return out;
}

export function renderStatusText(s: StatusSnapshot, color: boolean, liveFrom: string | null): string {
  const c = pc.createColors(color);
  const out = [...overviewLines(s, c, liveFrom), '', c.bold('devices')];
  if (s.devices.length === 0) out.push(c.dim('  none seen yet'));
  for (const d of s.devices) out.push(...deviceLines(d, c));
  out.push('', glucoseLine(s.glucose, c));
  if (s.source === 'live') out.push(...eventLines(s.recentEvents, c));
  return `${out.join('\n')}\n`;
}

export function register(program: Command): void {
  withConfigOption(program.command('status'))
    .option('--json', 'print the status as JSON (the operator server’s /status.json)')
    .option('--offline', 'read the database only, even when the gateway runs')
    .description('devices, last readings, sensor sessions, sync backlog, pairings and recent errors')
    .action(
      action(async (opts: { config?: string; json?: boolean; offline?: boolean }) => {
        const config = configForReading(opts);
        const url = opts.offline ? null : liveStatusUrl(config);
        const live = url ? await fetchLive(url) : null;
        const status = live ?? fromDatabase(config);
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(status, null, 2)}\n`
            : renderStatusText(
                status,
                useColor(process.stdout, process.env),
                live ? url!.replace(/\/status\.json$/, '') : null,
              ),
        );
      }),
    );
}
