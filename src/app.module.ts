import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from './auth/auth.module';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { dataSourceOptions } from './database/data-source-options';
import { DetectionModule } from './detection/detection.module';
import { GrowthModule } from './growth/growth.module';
import { HealthModule } from './health/health.module';
import { IngestModule } from './ingest/ingest.module';
import { ArchiveModule } from './archive/archive.module';
import { JobsModule } from './jobs/jobs.module';
import { PacsModule } from './pacs/pacs.module';
import { LesionsModule } from './lesions/lesions.module';
import { MetricsModule } from './metrics/metrics.module';
import { ModelsModule } from './models/models.module';
import { SampleModule } from './sample/sample.module';
import { SearchModule } from './search/search.module';
import { TagsModule } from './tags/tags.module';
import { CohortsModule } from './cohorts/cohorts.module';
import { WebModule } from './web/web.module';
import { ReportingModule } from './reporting/reporting.module';

@Module({})
export class AppModule {
  /** `databaseUrl` is the configured one or the embedded server's, decided before the app is built. */
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        TypeOrmModule.forRoot(dataSourceOptions(databaseUrl)),
        JobsModule,
        AuthModule,
        HealthModule,
        LesionsModule,
        IngestModule,
        ArchiveModule,
        PacsModule,
        SampleModule,
        SearchModule,
        TagsModule,
        CohortsModule,
        WebModule,
        DetectionModule,
        GrowthModule,
        MetricsModule,
        ReportingModule,
        ModelsModule,
      ],
    };
  }
}
