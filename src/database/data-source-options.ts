import { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from './entities';

/** Never `synchronize`: the schema changes only through migrations/, run at start. */
export function dataSourceOptions(url: string, runMigrations = true): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: runMigrations,
    migrationsTransactionMode: 'all',
    synchronize: false,
    // Failed queries surface as errors where they happen (and as 500s through the exception filter).
    logging: false,
    // Tag queries aggregate hundreds of thousands of index entries on a large archive: let the hash
    // aggregate stay in memory (PostgreSQL's 4 MB default spills it to disk).
    extra: { max: 20, options: '-c work_mem=32MB' },
  };
}
