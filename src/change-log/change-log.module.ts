import { Module } from '@nestjs/common';
import { ChangeFeedService } from './change-feed.service';
import { ChangeLogRepository } from './change-log.repository';

/** The change log and this process's place in it: the index, lesion views and the vocabulary follow it. */
@Module({
  providers: [ChangeLogRepository, ChangeFeedService],
  exports: [ChangeLogRepository, ChangeFeedService],
})
export class ChangeLogModule {}
