import { DetectDto, StartDetectionJobDto, toDetectionJobOptions, toDetectRequest } from './detection.dto';
import { FromPointDto, toPointRequest } from '../uploads/slice-request.dto';

const detectDto = (fields: Partial<DetectDto>) => Object.assign(new DetectDto(), fields);
const pointDto = (fields: Partial<FromPointDto>) => Object.assign(new FromPointDto(), fields);

describe('the detection requests as domain requests', () => {
  it('reads the neighbour offsets as numbers and the read options (with the caller’s spacing) apart; detection adds no findings unless asked', () => {
    const request = toDetectRequest(
      detectDto({ neighbourOffsetsMm: '-2, 2.5', huWindow: '-1024,3071', encoding: 'gray8', spacingMm: 0.8, scoreThreshold: 0.3 }),
    );
    expect(request).toMatchObject({
      neighbourOffsetsMm: [-2, 2.5],
      read: { huWindow: '-1024,3071', encoding: 'gray8', spacingMm: 0.8 },
      scoreThreshold: 0.3,
      include: [],
      k: 5,
    });
    expect(toDetectRequest(detectDto({ include: ['tags'] })).include).toEqual(['tags']);
  });

  it('point to box adds similar lesions and tags unless include says otherwise (an empty list too)', () => {
    expect(toPointRequest(pointDto({ x: 3, y: 4 }))).toMatchObject({ x: 3, y: 4, include: ['similar', 'tags'], neighbourOffsetsMm: [] });
    expect(toPointRequest(pointDto({ x: 3, y: 4, include: [] })).include).toEqual([]);
  });

  it('keeps only the job options given, so the stored job and its queue payload name no undefined ones', () => {
    const dto = Object.assign(new StartDetectionJobDto(), { series: 'ct/s1', spacingMm: 0.7, scoreThreshold: undefined });
    expect(Object.keys(toDetectionJobOptions(dto))).toEqual(['spacingMm']);
    expect(toDetectionJobOptions(Object.assign(new StartDetectionJobDto(), { series: 'ct/s1' }))).toEqual({});
  });
});
