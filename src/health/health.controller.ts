import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/auth.decorators';
import { EncoderService } from '../ml/encoder.service';

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
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.database.pingCheck('database', { timeout: 2000 }), () => this.encoderCheck()]);
  }

  private encoderCheck() {
    const status = this.encoder.status();
    const check = this.indicators.check('encoder');
    const details = { model: status.name, modelId: status.modelId, dim: status.dim, providers: status.providers };
    return status.state === 'ready' ? check.up(details) : check.down({ ...details, state: status.state, message: status.message });
  }
}
