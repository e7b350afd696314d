import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** Pseudonymous patient: an index within a dataset and a sex; never a name or a hospital identifier. */
@Entity('patient')
export class PatientEntity {
  @PrimaryGeneratedColumn() id: number;
  @Column('text') dataset: string;
  @Column('int', { name: 'patient_index' }) patientIndex: number;
  @Column('char', { length: 1, nullable: true }) sex: 'M' | 'F' | null;
}

@Entity('study')
export class StudyEntity {
  @PrimaryGeneratedColumn() id: number;
  @Column('int', { name: 'patient_id' }) patientId: number;
  @ManyToOne(() => PatientEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'patient_id' })
  patient?: PatientEntity;
  @Column('int', { name: 'study_index' }) studyIndex: number;
  @Column('real', { name: 'age_years', nullable: true }) ageYears: number | null;
  /** Only from archives that have one; DeepLesion has none and we never invent UIDs. */
  @Column('text', { name: 'study_instance_uid', nullable: true }) studyInstanceUid: string | null;
}

@Entity('series')
export class SeriesEntity {
  @PrimaryGeneratedColumn() id: number;
  @Column('int', { name: 'study_id' }) studyId: number;
  @ManyToOne(() => StudyEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'study_id' })
  study?: StudyEntity;
  @Column('int', { name: 'series_index' }) seriesIndex: number;
  @Column('real', { name: 'spacing_x_mm', nullable: true }) spacingXmm: number | null;
  @Column('real', { name: 'spacing_y_mm', nullable: true }) spacingYmm: number | null;
  @Column('real', { name: 'spacing_z_mm', nullable: true }) spacingZmm: number | null;
  @Column('int', { name: 'image_width', nullable: true }) imageWidth: number | null;
  @Column('int', { name: 'image_height', nullable: true }) imageHeight: number | null;
  @Column('int', { name: 'slice_first', nullable: true }) sliceFirst: number | null;
  @Column('int', { name: 'slice_last', nullable: true }) sliceLast: number | null;
  @Column('text', { name: 'series_instance_uid', nullable: true }) seriesInstanceUid: string | null;
  /** Folder holding this series' slices (`{slice}.png` files) or null when only key slices exist. */
  @Column('text', { name: 'slices_dir', nullable: true }) slicesDir: string | null;
  /** From DICOM archives: (0008,0060), (0018,0015), (0018,1210); null for DeepLesion. */
  @Column('text', { nullable: true }) modality: string | null;
  @Column('text', { name: 'body_part', nullable: true }) bodyPart: string | null;
  @Column('text', { name: 'convolution_kernel', nullable: true }) convolutionKernel: string | null;
}

@Entity('lesion')
export class LesionEntity {
  @PrimaryGeneratedColumn() id: number;
  @Column('int', { name: 'series_id' }) seriesId: number;
  @ManyToOne(() => SeriesEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'series_id' })
  series?: SeriesEntity;
  /** Denormalised from series for fast filtering; set once at ingest. */
  @Column('int', { name: 'study_id' }) studyId: number;
  @Column('int', { name: 'patient_id' }) patientId: number;
  @Column('int', { name: 'key_slice_index' }) keySliceIndex: number;
  /** Ordinal of this lesion among the lesions of its key slice (natural key with series and slice). */
  @Column('int', { name: 'lesion_in_image' }) lesionInImage: number;
  @Column('real', { name: 'box_x1' }) boxX1: number;
  @Column('real', { name: 'box_y1' }) boxY1: number;
  @Column('real', { name: 'box_x2' }) boxX2: number;
  @Column('real', { name: 'box_y2' }) boxY2: number;
  @Column('real', { name: 'recist', array: true, nullable: true }) recist: number[] | null;
  @Column('real', { name: 'long_axis_px', nullable: true }) longAxisPx: number | null;
  @Column('real', { name: 'short_axis_px', nullable: true }) shortAxisPx: number | null;
  @Column('real', { name: 'long_axis_mm', nullable: true }) longAxisMm: number | null;
  @Column('real', { name: 'short_axis_mm', nullable: true }) shortAxisMm: number | null;
  @Column('real', { name: 'location_x', nullable: true }) locationX: number | null;
  @Column('real', { name: 'location_y', nullable: true }) locationY: number | null;
  @Column('real', { name: 'location_z', nullable: true }) locationZ: number | null;
  /** 1 bone, 2 abdomen, 3 mediastinum, 4 liver, 5 lung, 6 kidney, 7 soft tissue, 8 pelvis, -1 unlabelled. */
  @Column('smallint', { name: 'coarse_type' }) coarseType: number;
  @Column('boolean', { name: 'possibly_noisy' }) possiblyNoisy: boolean;
  /** 1 train, 2 validation, 3 test. */
  @Column('smallint', { nullable: true }) split: number | null;
  @Column('real', { name: 'window_low', nullable: true }) windowLow: number | null;
  @Column('real', { name: 'window_high', nullable: true }) windowHigh: number | null;
  @Column('text', { name: 'source_file_name' }) sourceFileName: string;
  /** 0-based data row in the source DL_info.csv (LesaNet's label files index lesions by it). */
  @Column('int', { name: 'source_row', nullable: true }) sourceRow: number | null;
  @Column('text', { name: 'image_path' }) imagePath: string;
  /** 'png16': DeepLesion 16-bit, HU = value - 32768. 'gray8': 8-bit image mapped linearly from [imageHuLow, imageHuHigh]. */
  @Column('text', { name: 'image_encoding' }) imageEncoding: 'png16' | 'gray8';
  @Column('real', { name: 'image_hu_low', nullable: true }) imageHuLow: number | null;
  @Column('real', { name: 'image_hu_high', nullable: true }) imageHuHigh: number | null;
  @Column('text', { name: 'sop_instance_uid', nullable: true }) sopInstanceUid: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
