// A private PostgreSQL for tests and benchmarks: its own cluster (initdb) in a temp dir, its own loopback port,
// trust authentication, TCP only. The postmaster is our child process, so a test can stop it fast, crash it
// (immediate shutdown: crash recovery at the next start) or SIGKILL it, and start it again on the same port.
// initdb refuses to run as root: as root the cluster belongs to the `postgres` user (Debian's package makes
// it) or else `nobody`, and every server process runs as that user.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './broker.ts';

/** The folder with initdb and postgres: HDDT_PG_BIN, else the newest /usr/lib/postgresql/<n>/bin, else PATH. */
export function postgresBin(): string {
  if (process.env.HDDT_PG_BIN) return process.env.HDDT_PG_BIN;
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base)
    ? fs
        .readdirSync(base)
        .filter((v) => fs.existsSync(path.join(base, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return versions.length ? path.join(base, versions[0], 'bin') : '';
}

/** uid/gid to run the server as: ourselves, or as root a system user (initdb refuses root). */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
      return { uid, gid };
    } catch {
      // no such user: try the next
    }
  }
  throw new Error('running as root and there is neither a postgres nor a nobody user to run PostgreSQL as');
}

export type StopMode = 'fast' | 'immediate' | 'kill';
const SIGNAL: Record<StopMode, NodeJS.Signals> = { fast: 'SIGINT', immediate: 'SIGQUIT', kill: 'SIGKILL' };
const USER = 'hddt';

export interface PgServerOptions {
  /** Empty or missing folder for the cluster (made and owned by the server's user). */
  dir: string;
  port?: number;
}

export class PgServer {
  readonly dir: string;
  port: number;
  starts = 0;
  private proc: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private readonly bin = postgresBin();
  private readonly user = serverUser();

  constructor(opts: PgServerOptions) {
    this.dir = opts.dir;
    this.port = opts.port ?? 0;
  }

  /** A connection URL for database `db` (passwordless: trust on loopback). */
  url(db = 'postgres'): string {
    return `postgres://${USER}@127.0.0.1:${this.port}/${db}`;
  }

  get running(): boolean {
    return this.proc !== undefined;
  }

  private get data(): string {
    return path.join(this.dir, 'data');
  }

  private exe(name: string): string {
    return this.bin ? path.join(this.bin, name) : name;
  }

  /** initdb, once: a C-locale UTF-8 cluster whose superuser is `hddt`. */
  private init(): void {
    if (fs.existsSync(path.join(this.data, 'PG_VERSION'))) return;
    fs.mkdirSync(this.data, { recursive: true, mode: 0o700 });
    if (this.user) {
      for (const d of [this.dir, this.data]) fs.chownSync(d, this.user.uid, this.user.gid);
    }
    const args = ['-D', this.data, '-U', USER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'];
    try {
      execFileSync(this.exe('initdb'), args, { ...this.user, cwd: this.dir, stdio: 'pipe' });
    } catch (err) {
      const e = err as { stderr?: Buffer; message: string };
      throw new Error(`initdb failed (${this.exe('initdb')}): ${e.stderr?.toString() ?? e.message}`, {
        cause: err,
      });
    }
  }

  async start(): Promise<void> {
    if (this.proc) return;
    this.init();
    if (!this.port) this.port = await freePort();
    // SIGKILLed backends of a previous server may hold its shared memory for a moment: retry.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.launch();
        this.starts++;
        return;
      } catch (err) {
        if (attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  private async launch(): Promise<void> {
    // fsync off: these servers are killed, never power-cut; a commit's WAL is still written before it returns.
    const settings = {
      listen_addresses: '127.0.0.1',
      port: String(this.port),
      unix_socket_directories: '',
      fsync: 'off',
      shared_buffers: '32MB',
      max_connections: '40',
      log_min_messages: 'warning',
    };
    const args = ['-D', this.data, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
    const proc = spawn(this.exe('postgres'), args, {
      ...this.user,
      cwd: this.dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const deadline = Date.now() + 30_000;
    while (!(await this.accepts())) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`postgres exited: ${stderr}`);
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        await exited;
        throw new Error(`postgres did not accept connections on ${this.port}: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    this.proc = proc;
    this.exited = exited;
  }

  private async accepts(): Promise<boolean> {
    const c = new pg.Client({ connectionString: this.url(), connectionTimeoutMillis: 1000 });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  /** fast: clean shutdown; immediate: a crash as PostgreSQL sees one (recovery at the next start); kill: SIGKILL. */
  async stop(mode: StopMode = 'fast'): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.proc = undefined;
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(SIGNAL[mode]);
    await this.exited;
  }

  /** Creates a database and returns its URL. */
  async createDatabase(name: string): Promise<string> {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
    const c = new pg.Client({ connectionString: this.url() });
    await c.connect();
    try {
      await c.query(`CREATE DATABASE ${name}`);
    } finally {
      await c.end();
    }
    return this.url(name);
  }
}
