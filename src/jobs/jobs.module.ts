import { Global, Inject, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { BullMqJobQueue } from './bullmq-job-queue.repository';
import { InProcessJobQueue } from './in-process-job-queue';
import { JOB_QUEUE, JobQueue } from './job-queue.port';

/** The one JobQueue of the process: BullMQ when REDIS_URL is set, in-process otherwise. */
@Global()
@Module({
  providers: [
    {
      provide: JOB_QUEUE,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): JobQueue => {
        const { redisUrl, prefix, lockMs, ...limits } = config.jobs;
        return redisUrl ? new BullMqJobQueue({ ...limits, redisUrl, prefix, lockMs }) : new InProcessJobQueue(limits);
      },
    },
  ],
  exports: [JOB_QUEUE],
})
export class JobsModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** After every feature registered its handlers (module init): an api process only enqueues. */
  onApplicationBootstrap(): void {
    if (this.config.role !== 'api' && this.queue instanceof BullMqJobQueue) this.queue.start();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.queue instanceof BullMqJobQueue) await this.queue.close();
    if (this.queue instanceof InProcessJobQueue) this.queue.stop();
  }
}
