// `hddt-gateway maintenance announce|start|end|list`: planned maintenance per HDDT §4.6. Windows live in the
// store; the running server's status feed (/service/status) shows them and, while one is in progress, the
// endpoints it names answer 503 with Retry-After (docs/operations.md).
import type { Command } from 'commander';
import { openGatewayStore } from '../../gateway/open-store.ts';
import {
  addWindow,
  endWindow,
  getWindow,
  listWindows,
  MAINTENANCE_AREAS,
  startWindow,
  stateOf,
  type MaintenanceArea,
  type MaintenanceWindow,
} from '../../gateway/store/maintenance.ts';
import type { Store } from '../../gateway/store/store.ts';
import { businessDaysBetween, MAINTENANCE_NOTICE_BUSINESS_DAYS } from '../../lib/business-days.ts';
import { action, configFrom, parseIsoTime, UsageError, withConfigOption } from './common.ts';

interface WindowOptions {
  config?: string;
  start?: string;
  end?: string;
  cause?: string;
  endpoints?: string;
  security?: boolean;
}

function withStore<T>(opts: { config?: string }, fn: (store: Store) => T): T {
  const store = openGatewayStore(configFrom(opts));
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

export function parseAreas(value: string | undefined): MaintenanceArea[] {
  if (value === undefined) return [...MAINTENANCE_AREAS];
  const areas = value.split(',').map((a) => a.trim());
  for (const a of areas)
    if (!(MAINTENANCE_AREAS as readonly string[]).includes(a))
      throw new UsageError(`--endpoints: unknown area "${a}" (use ${MAINTENANCE_AREAS.join(', ')})`);
  return [...new Set(areas)] as MaintenanceArea[];
}

function parseCause(cause: string | undefined): string {
  const c = cause?.trim() ?? '';
  if (c.length === 0) throw new UsageError('--cause is required: say what the maintenance is for');
  if (c.length > 500) throw new UsageError('--cause must be at most 500 characters');
  return c;
}

function parseEnd(end: string | undefined, startMs: number): number | null {
  if (end === undefined) return null;
  const endMs = parseIsoTime(end, '--end');
  if (endMs <= startMs) throw new UsageError(`--end ${end} is not after the start`);
  return endMs;
}

function describe(w: MaintenanceWindow): string {
  const end = w.endMs === null ? 'open end' : `until ${new Date(w.endMs).toISOString()}`;
  const flags = w.security ? ' [security fix]' : '';
  return `${w.id}  ${stateOf(w)}  ${new Date(w.startedMs ?? w.startMs).toISOString()} ${end}  ${w.areas.join(',')}${flags}  ${w.cause}`;
}

function announce(opts: WindowOptions): void {
  if (opts.start === undefined) throw new UsageError('announce needs --start TIME');
  const now = Date.now();
  const startMs = parseIsoTime(opts.start, '--start');
  if (startMs <= now) throw new UsageError('--start must be in the future (use `maintenance start` for now)');
  const notice = businessDaysBetween(now, startMs);
  if (!opts.security && notice < MAINTENANCE_NOTICE_BUSINESS_DAYS)
    throw new UsageError(
      `--start is ${notice} business days ahead; HDDT §4.6 asks for ${MAINTENANCE_NOTICE_BUSINESS_DAYS} ` +
        '(only a security fix may come sooner: add --security)',
    );
  const w = withStore(opts, (store) =>
    addWindow(
      store,
      {
        cause: parseCause(opts.cause),
        areas: parseAreas(opts.endpoints),
        security: opts.security === true,
        startMs,
        endMs: parseEnd(opts.end, startMs),
      },
      now,
    ),
  );
  process.stdout.write(`announced ${describe(w)}\n`);
}

function startNow(id: string | undefined, opts: WindowOptions): void {
  const now = Date.now();
  const w = withStore(opts, (store) => {
    if (id === undefined) {
      const fresh = {
        cause: parseCause(opts.cause),
        areas: parseAreas(opts.endpoints),
        security: opts.security === true,
        startMs: now,
        endMs: parseEnd(opts.end, now),
        started: true,
      };
      return addWindow(store, fresh, now);
    }
    if (!startWindow(store, id, now)) throw new UsageError(notStartable(store, id));
    return getWindow(store, id)!;
  });
  if (id === undefined && !w.security)
    process.stderr.write(
      'hddt-gateway: note: maintenance not announced ahead (HDDT allows that for security fixes)\n',
    );
  process.stdout.write(`started ${describe(w)}\n`);
}

function notStartable(store: Store, id: string): string {
  const w = getWindow(store, id);
  return w ? `maintenance ${id} is ${stateOf(w)}, not planned` : `no maintenance ${id}`;
}

function end(id: string | undefined, opts: { config?: string }): void {
  const now = Date.now();
  const ended = withStore(opts, (store) => {
    const running = listWindows(store, now).filter((w) => stateOf(w) === 'in_progress');
    const target = id ?? (running.length === 1 ? running[0]!.id : undefined);
    if (target === undefined)
      throw new UsageError(
        running.length === 0 ? 'no maintenance is in progress' : 'several are in progress: name one',
      );
    if (!endWindow(store, target, now))
      throw new UsageError(
        getWindow(store, target) ? `maintenance ${target} has ended already` : `no maintenance ${target}`,
      );
    return getWindow(store, target)!;
  });
  process.stdout.write(`ended ${describe(ended)}\n`);
}

function list(opts: { config?: string; json?: boolean }): void {
  const windows = withStore(opts, (store) => listWindows(store, Date.now() - 7 * 86_400_000));
  if (opts.json)
    process.stdout.write(`${JSON.stringify(windows.map((w) => ({ ...w, state: stateOf(w) })))}\n`);
  else
    process.stdout.write(
      windows.length === 0 ? 'no maintenance\n' : windows.map((w) => `${describe(w)}\n`).join(''),
    );
}

function windowOptions(cmd: Command): Command {
  return withConfigOption(cmd)
    .option('--end <time>', 'planned end (ISO 8601 with a zone); Retry-After counts down to it')
    .option('--cause <text>', 'what the maintenance is for (shown in the status feed and the 503 answers)')
    .option(
      '--endpoints <areas>',
      `affected areas, comma-separated: ${MAINTENANCE_AREAS.join(', ')} (default: all)`,
    )
    .option('--security', 'a security fix: no 5-business-day notice needed');
}

export function register(program: Command): void {
  const m = program
    .command('maintenance')
    .description('Planned maintenance (HDDT §4.6): status feed and 503 answers');
  windowOptions(m.command('announce'))
    .description('announce a maintenance at least 5 business days ahead (security fixes excepted)')
    .requiredOption('--start <time>', 'planned start (ISO 8601 with a zone)')
    .action(action((opts: WindowOptions) => announce(opts)));
  windowOptions(m.command('start [id]'))
    .description('start an announced maintenance now, or without an id an unannounced one (needs --cause)')
    .action(action((id: string | undefined, opts: WindowOptions) => startNow(id, opts)));
  withConfigOption(m.command('end [id]'))
    .description('end the maintenance in progress (or cancel a planned one by its id)')
    .action(action((id: string | undefined, opts: { config?: string }) => end(id, opts)));
  withConfigOption(m.command('list'))
    .description('planned, running and recently ended maintenance')
    .option('--json', 'print JSON')
    .action(action((opts: { config?: string; json?: boolean }) => list(opts)));
}
