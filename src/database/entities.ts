import { ApiKeyEntity, AuditLogEntity } from '../auth/auth.entities';
import { IngestJobEntity } from '../ingest-jobs/ingest-job.entity';
import { LesionEntity, PatientEntity, SeriesEntity, StudyEntity } from '../lesions/lesion.entities';

export const ENTITIES = [PatientEntity, StudyEntity, SeriesEntity, LesionEntity, ApiKeyEntity, AuditLogEntity, IngestJobEntity];
