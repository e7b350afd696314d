import { ChangeFeedService, ChangeHandler } from '../../src/change-log/change-feed.service';
import { ChangeLogRepository } from '../../src/change-log/change-log.repository';
import { ChangeEntry } from '../../src/change-log/cursor';

/**
 * A change feed for index tests without PostgreSQL: it delivers what the test logs when the service
 * asks for a sync, as the real feed delivers the change log's entries.
 */
export class FakeChangeFeed {
  private handler: ChangeHandler | null = null;
  private readonly queue: ChangeEntry[] = [];
  private position = 0;
  constructor(private readonly modelId: string) {}
  subscribe(handler: ChangeHandler) {
    this.handler = handler;
  }
  log(kind: ChangeEntry['kind'], key: number) {
    this.queue.push({ position: ++this.position, kind, key, modelId: this.modelId, createdAt: new Date() });
  }
  async syncNow() {
    await this.handler?.(this.queue.splice(0));
  }
  status() {
    return { position: 0, appliedThrough: 0, openGaps: 0, listening: true, lastPropagationMs: null };
  }
  tryOwn = async () => true;
  asService = () => this as unknown as ChangeFeedService;
}

/** The change log's repository as the index uses it, with nothing logged since any snapshot. */
export const emptyChangeLog = () => ({ prune: async () => undefined, embeddingLabelsSince: async () => [] }) as unknown as ChangeLogRepository;
