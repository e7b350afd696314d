// Every migration, in order. Listed explicitly so the same list works from ts-jest and from dist/.
import { InitialSchema1764200000000 } from './1764200000000-initial-schema';
import { LesionEmbeddings1764300000000 } from './1764300000000-lesion-embeddings';
import { VectorIndexSnapshots1764400000000 } from './1764400000000-vector-index-snapshots';
import { Tags1764500000000 } from './1764500000000-tags';
import { Cohorts1764700000000 } from './1764700000000-cohorts';
import { ChangeLog1764800000000 } from './1764800000000-change-log';
import { AuditAggregation1764813000000 } from './1764813000000-audit-aggregation';
import { GrowthTracks1764850000000 } from './1764850000000-growth-tracks';
import { SearchFeedback1764900000000 } from './1764900000000-search-feedback';
import { DicomArchive1765200000000 } from './1765200000000-dicom-archive';
import { ApiKeyDatasets1765300000000 } from './1765300000000-api-key-datasets';
import { JobQueue1765500000000 } from './1765500000000-job-queue';
import { DicomWebImport1765600000000 } from './1765600000000-dicomweb-import';
import { ModelRegistry1765700000000 } from './1765700000000-model-registry';
import { IngestKeySliceCounts1765710000000 } from './1765710000000-ingest-key-slice-counts';
import { ModelActivationIntent1765719000000 } from './1765719000000-model-activation-intent';

export const MIGRATIONS = [InitialSchema1764200000000, LesionEmbeddings1764300000000, VectorIndexSnapshots1764400000000, Tags1764500000000, Cohorts1764700000000, ChangeLog1764800000000, AuditAggregation1764813000000, GrowthTracks1764850000000, SearchFeedback1764900000000, DicomArchive1765200000000, ApiKeyDatasets1765300000000, JobQueue1765500000000, DicomWebImport1765600000000, ModelRegistry1765700000000, IngestKeySliceCounts1765710000000, ModelActivationIntent1765719000000];
