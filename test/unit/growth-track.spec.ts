import { ALL_DATASETS } from '../../src/common/dataset-scope';
import { GrowthRepository, StoredPoint, TrackLesion } from '../../src/growth/growth.repository';
import { GrowthService } from '../../src/growth/growth.service';
import { SimilarLesions } from '../../src/lesions/similar-lesions.port';
import { asDependency, mockMethods } from '../helpers/typed-mocks';

const lesion = (lesionId: number, studyIndex: number): TrackLesion => ({
  lesionId,
  patientId: 1,
  studyId: 100 + studyIndex,
  studyIndex,
  studyDate: null,
  ageYears: 50 + studyIndex,
  longAxisMm: 10 + studyIndex,
  shortAxisMm: 5,
  coarseType: 4,
  dataset: 'default',
});
const point = (trackId: number, position: number, lesionId: number): StoredPoint => ({
  trackId,
  position,
  lesionId,
  linkScore: position ? 0.9 : null,
  linkConfidence: position ? 0.8 : null,
  linkDecidedBy: position ? 'auto' : null,
});

describe('GrowthService.trackOf', () => {
  it('leaves out track points of a lesion deleted after the track was read (fuzz #5284 answered 500)', async () => {
    // Lesion 3 was deleted by another request: its track points are still read, its lesion row is gone.
    const repository = mockMethods<GrowthRepository>()({
      lesion: async (id) => (id === 1 ? lesion(1, 0) : null),
      stalePatients: async () => [],
      trackPointsOfLesion: async () => [point(7, 0, 1), point(7, 1, 2), point(7, 2, 3)],
      patientLesions: async () => [lesion(1, 0), lesion(2, 1)],
      trackPoints: async () => [point(7, 0, 1), point(7, 1, 2), point(7, 2, 3), point(8, 0, 3)],
    });
    const service = new GrowthService(asDependency<GrowthRepository>(repository), asDependency<SimilarLesions>({}));
    const track = await service.trackOf(1, ALL_DATASETS);
    expect(track.points.map((p) => [p.lesionId, p.studyIndex, p.longAxisMm])).toEqual([
      [1, 0, 10],
      [2, 1, 11],
    ]);
    expect(track.patient).toEqual({ studies: 2, newLesions: [], vanishedLesions: [] });
  });
});
