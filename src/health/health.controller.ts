import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/auth.decorators';
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
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.database.pingCheck('database', { timeout: 2000 }), () => this.encoderCheck(), () => this.indexCheck()]);
  }

  /** Up when loaded and holding exactly the database's embeddings for the active model. */
  private async indexCheck() {
    const status = await this.vectorIndex.statusWithDatabase();
    const check = this.indicators.check('index');
    const details = { points: status.points, databaseEmbeddings: status.databaseEmbeddings, snapshotPoints: status.snapshot?.points ?? null };
    return status.state === 'ready' && status.points === status.databaseEmbeddings ? check.up(details) : check.down({ ...details, state: status.state, message: status.message });
  }

  private encoderCheck() {
    const status = this.encoder.status();
    const check = this.indicators.check('encoder');
    const details = { model: status.name, modelId: status.modelId, dim: status.dim, providers: status.providers };
    return status.state === 'ready' ? check.up(details) : check.down({ ...details, state: status.state, message: status.message });
  }
}
