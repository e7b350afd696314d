import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth.decorators';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { EncoderService } from '../ml/encoder.service';
import { VectorIndexService } from '../vector-index/vector-index.service';

/** Probes for orchestrators: live = the process answers; ready = its dependencies answer. */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly encoder: EncoderService,
    private readonly vectorIndex: VectorIndexService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /**
   * 503 with terminus's details (which check is down and why) as the body. Answered here rather than
   * thrown: a probe that is down is an expected answer, not an error for the exception filter to log
   * (with a stack, every few seconds) and flatten to a bare message.
   */
  @Get('ready')
  @HealthCheck()
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    try {
      return await this.health.check([() => this.database.pingCheck('database', { timeout: 2000 }), () => this.encoderCheck(), () => this.indexCheck()]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      void reply.status(503);
      return error.getResponse();
    }
  }

  /** Up when loaded and no further behind the change log than READY_MAX_LAG_MS. */
  private async indexCheck() {
    const status = await this.vectorIndex.statusWithDatabase();
    const check = this.indicators.check('index');
    const { log } = status;
    const details = {
      points: status.points,
      databaseEmbeddings: status.databaseEmbeddings,
      snapshotPoints: status.snapshot?.points ?? null,
      log: { position: log.position, head: log.head, lagEntries: log.lagEntries, lagMs: log.lagMs, maxLagMs: this.config.readyMaxLagMs },
    };
    const caughtUp = log.lagMs !== null && log.lagMs <= this.config.readyMaxLagMs;
    return status.state === 'ready' && caughtUp
      ? check.up(details)
      : check.down({ ...details, state: status.state, message: status.message ?? (status.state === 'ready' ? 'behind the change log' : null) });
  }

  private encoderCheck() {
    const status = this.encoder.status();
    const check = this.indicators.check('encoder');
    const details = { model: status.name, modelId: status.modelId, dim: status.dim, providers: status.providers };
    return status.state === 'ready' ? check.up(details) : check.down({ ...details, state: status.state, message: status.message });
  }
}
