import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Client } from 'pg';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ChangeLogRepository } from './change-log.repository';
import { advanceCursor, appliedThrough, ChangeEntry, LogCursor } from './cursor';

/** Applies entries of the change log to what a service holds in memory; throwing makes the feed retry them. */
export type ChangeHandler = (entries: ChangeEntry[]) => Promise<void> | void;

export interface FeedStatus {
  /** The highest position applied. */
  position: number;
  /** Every entry up to here is applied (positions of still-open transactions are waited for). */
  appliedThrough: number;
  openGaps: number;
  listening: boolean;
  /** Milliseconds from the write of the newest applied entry to its application here (this host's clock against the database's). */
  lastPropagationMs: number | null;
}

const READ_LIMIT = 5000;
const RECONNECT_MS = 1000;

/**
 * Follows the change log from where this process started: woken at once by LISTEN/NOTIFY on a
 * connection of its own, and by a poll every CHANGE_LOG_POLL_MS, because a NOTIFY sent while that
 * connection was down is lost. The same connection holds this process's session advisory locks
 * (snapshot ownership), so they go away with the process.
 */
@Injectable()
export class ChangeFeedService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ChangeFeed');
  private cursor: LogCursor = { position: 0, gaps: [] };
  private started = false;
  private readonly handlers: ChangeHandler[] = [];
  private client: Client | null = null;
  private readonly owned = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private current: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private lastPropagationMs: number | null = null;

  constructor(
    private readonly repository: ChangeLogRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Before any service loads state (onApplicationBootstrap): what they load is then at least as new as the cursor. */
  async onModuleInit(): Promise<void> {
    this.cursor = await this.repository.startCursor();
    this.started = true;
    await this.connect();
    this.timer = setInterval(() => void this.syncNow().catch(() => undefined), this.config.changeLog.pollMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.current?.catch(() => undefined);
    const client = this.client;
    this.client = null;
    this.owned.clear();
    await client?.end().catch(() => undefined);
  }

  subscribe(handler: ChangeHandler): void {
    this.handlers.push(handler);
  }

  /**
   * Reads and applies everything committed before this call. A writer awaits it after its own
   * commit, so its next request sees the change (the log is the only path into memory).
   */
  syncNow(): Promise<void> {
    if (!this.started || this.closed) return Promise.resolve();
    this.queued ??= (this.current ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        this.current = this.drain().finally(() => (this.current = null));
        return this.current;
      });
    return this.queued;
  }

  status(): FeedStatus {
    return {
      position: this.cursor.position,
      appliedThrough: appliedThrough(this.cursor),
      openGaps: this.cursor.gaps.length,
      listening: this.client !== null,
      lastPropagationMs: this.lastPropagationMs,
    };
  }

  /** The log's head and how long the oldest entry not applied here has waited. */
  lag(): Promise<{ head: number; lagMs: number }> {
    return this.repository.lagBehind(this.cursor.position);
  }

  /**
   * True while this process holds the session advisory lock named `key` (taken here when free). It
   * lives on the feed's connection: a crashed or disconnected process loses it, and another takes over.
   */
  async tryOwn(key: string): Promise<boolean> {
    if (this.owned.has(key)) return true;
    const client = this.client;
    if (!client) return false;
    const { rows } = await client.query('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [key]);
    if (rows[0].ok && this.client === client) this.owned.add(key);
    return this.owned.has(key);
  }

  private async drain(): Promise<void> {
    for (;;) {
      const read = await this.repository.read(this.cursor.position, this.cursor.gaps, READ_LIMIT);
      const next = advanceCursor(this.cursor, read);
      if (next.droppedGaps) this.logger.warn(`${next.droppedGaps} old gap(s) in the change log given up on`);
      if (next.entries.length) {
        for (const handler of this.handlers) await handler(next.entries);
        this.lastPropagationMs = Math.max(0, Date.now() - next.entries[next.entries.length - 1].createdAt.getTime());
      }
      // Only after every handler applied them: a failed handler sees the same entries again.
      this.cursor = next.cursor;
      if (read.entries.length < READ_LIMIT) return;
    }
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = this.repository.dedicatedClient();
    const lost = (error?: Error) => {
      if (this.client !== client && this.client !== null) return;
      if (this.client === client) {
        this.client = null;
        this.owned.clear();
        if (!this.closed) this.logger.warn(`Change log connection lost${error ? `: ${error.message}` : ''}; polling until it is back`);
      }
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('notification', () => void this.syncNow().catch(() => undefined));
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      await client.query('LISTEN change_log');
      if (this.closed) {
        await client.end();
        return;
      }
      this.client = client;
      // A NOTIFY sent while no connection listened is lost: look now.
      void this.syncNow().catch(() => undefined);
    } catch (error) {
      this.logger.warn(`Change log connection failed: ${(error as Error).message}; polling until it is back`);
      client.removeAllListeners('end');
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, RECONNECT_MS);
    this.reconnectTimer.unref();
  }
}
