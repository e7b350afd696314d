import { annotationsFromCsv } from './annotations-csv';
import { planArchive, WalkedImage } from './archive-plan';
import { writeGsps, writeImage, writeSr } from './archive-writer.testing';
import { ArchiveFileError, ImageObject, readArchiveObject } from './dicom-header';
import { measurementsFromSr } from './sr-measurements';
import { pseudonymousUid } from '../deid/pseudonym';
import { parseCsv } from '../deeplesion/csv';

const SECRET = 'unit-test-secret-0123456789';
const LIMITS = { maxFrames: 100 };
const patient = {
  patientId: 'MRN-778899',
  issuer: 'ST-ELSEWHERE',
  patientName: 'Smithson^Eleanor',
  birthDate: '19511224',
  sex: 'F' as const,
  studyUid: '1.2.826.0.1.77.1',
  studyDate: '20190704',
  extra: {
    AccessionNumber: 'ACC-55443',
    InstitutionName: 'St Elsewhere Hospital',
    PatientAddress: '12 Acacia Avenue',
    ReferringPhysicianName: 'House^Gregory',
  },
  privateText: 'Eleanor Smithson private note',
};
const IDENTIFYING = [
  'MRN-778899',
  'ST-ELSEWHERE',
  'Smithson',
  'Eleanor',
  '19511224',
  '20190704',
  'ACC-55443',
  'St Elsewhere',
  'Acacia',
  'House',
  '1.2.826.0.1.77',
];
const image = (sop: number, z: number, extra: Partial<Parameters<typeof writeImage>[0]> = {}) =>
  writeImage({
    ...patient,
    seriesUid: '1.2.826.0.1.77.1.2',
    sopUid: `1.2.826.0.1.77.1.2.${sop}`,
    z,
    instanceNumber: sop,
    width: 32,
    height: 32,
    hu: new Float32Array(32 * 32).fill(40),
    ...extra,
  });

function expectNothingIdentifying(value: unknown) {
  const text = JSON.stringify(value);
  for (const word of IDENTIFYING) expect({ word, found: text.includes(word) }).toEqual({ word, found: false });
}

describe('readArchiveObject', () => {
  it('reads an image header de-identified: keyed UIDs, shifted date, sex and age, geometry; no name, ID, address, private tag', () => {
    const object = readArchiveObject(image(1, 12.5), SECRET, LIMITS) as ImageObject;
    expect(object).toMatchObject({
      kind: 'image',
      rows: 32,
      columns: 32,
      spacing: { x: 0.8, y: 0.8 },
      instanceNumber: 1,
      frames: [{ frame: 1, position: [-100, -100, 12.5], orientation: [1, 0, 0, 0, 1, 0] }],
    });
    expect(object.deid.values.SOPInstanceUID).toBe(pseudonymousUid(SECRET, '1.2.826.0.1.77.1.2.1'));
    expect(object.deid.values.Modality).toBe('CT');
    expect(object.deid.values.ConvolutionKernel).toBe('B30f');
    expect(object.deid.sex).toBe('F');
    expect(object.deid.ageYears).toBeCloseTo(67.5, 1);
    expect(object.deid.values.StudyDate).toMatch(/^(200[9]|201[0-8])-\d{2}-\d{2}$/);
    expectNothingIdentifying(object);
    // PixelSpacing lists the row spacing (y) first.
    expect((readArchiveObject(image(2, 15, { pixelSpacing: [0.6, 0.9] }), SECRET, LIMITS) as ImageObject).spacing).toEqual({ x: 0.9, y: 0.6 });
  });

  it('reads TID 1500 measurements: RECIST end points and box, regions as boxes, finding site as coarse type', () => {
    const bytes = writeSr({
      ...patient,
      seriesUid: '1.2.826.0.1.77.1.9',
      sopUid: '1.2.826.0.1.77.1.9.1',
      freeText: 'Eleanor Smithson, see prior at St Elsewhere',
      measurements: [
        { sopUid: '1.2.826.0.1.77.1.2.3', long: [10, 10, 20, 14], short: [15, 9, 14, 16], site: ['10200004', 'Liver'] },
        { sopUid: '1.2.826.0.1.77.1.2.4', region: { type: 'ELLIPSE', points: [10, 20, 20, 20, 15, 18, 15, 22] } },
        { sopUid: '1.2.826.0.1.77.1.2.4', region: { type: 'POLYLINE', points: [1, 1, 5, 2, 4, 6, 1, 1] }, site: ['39607008', 'Lung'] },
      ],
    });
    const object = readArchiveObject(bytes, SECRET, LIMITS);
    expect(object.kind).toBe('sr');
    if (object.kind !== 'sr') return;
    expectNothingIdentifying(object);
    const { annotations, problems } = measurementsFromSr(object.content, 'origin');
    expect(problems).toEqual([]);
    expect(annotations).toHaveLength(3);
    expect(annotations[0]).toMatchObject({
      sopUid: pseudonymousUid(SECRET, '1.2.826.0.1.77.1.2.3'),
      recist: [10, 10, 20, 14, 15, 9, 14, 16],
      coarseType: 4,
      box: { x1: 5, y1: 4, x2: 25, y2: 21 },
    });
    expect(annotations[0].longAxisPx).toBeCloseTo(Math.hypot(10, 4), 5);
    expect(annotations[1]).toMatchObject({ recist: null, coarseType: -1, box: { x1: 10, y1: 18, x2: 20, y2: 22 } });
    expect(annotations[2]).toMatchObject({ coarseType: 5, box: { x1: 1, y1: 1, x2: 5, y2: 6 } });
  });

  it('reads presentation-state graphics: polyline and ellipse boxes, an arrow as a flagged box around its tip', () => {
    const bytes = writeGsps({
      ...patient,
      seriesUid: '1.2.826.0.1.77.1.8',
      sopUid: '1.2.826.0.1.77.1.8.1',
      image: { seriesUid: '1.2.826.0.1.77.1.2', sopUid: '1.2.826.0.1.77.1.2.2' },
      graphics: [
        { type: 'POLYLINE', points: [2, 3, 8, 3, 8, 9, 2, 9, 2, 3] },
        { type: 'ELLIPSE', points: [10, 10, 20, 10, 15, 8, 15, 12] },
      ],
      arrows: [[16, 16]],
    });
    const object = readArchiveObject(bytes, SECRET, LIMITS);
    expect(object.kind).toBe('gsps');
    if (object.kind !== 'gsps') return;
    expectNothingIdentifying(object);
    expect(object.problems).toEqual([]);
    expect(object.annotations.map((a) => [a.box, a.approximate])).toEqual([
      [{ x1: 2, y1: 3, x2: 8, y2: 9 }, false],
      [{ x1: 10, y1: 8, x2: 20, y2: 12 }, false],
      [{ x1: 6, y1: 6, x2: 26, y2: 26 }, true],
    ]);
    expect(new Set(object.annotations.map((a) => a.sopUid))).toEqual(new Set([pseudonymousUid(SECRET, '1.2.826.0.1.77.1.2.2')]));
  });

  it('reads an enhanced (multi-frame) CT frame by frame: one slice per frame, positions from the per-frame groups', () => {
    const frames = [0, 1, 2].map((f) => ({ PlanePositionSequence: [{ ImagePositionPatient: [-100, -100, 50 - 2 * f] }] }));
    const bytes = image(1, 0, {
      extra: {
        NumberOfFrames: 3,
        SharedFunctionalGroupsSequence: [
          { PlaneOrientationSequence: [{ ImageOrientationPatient: [1, 0, 0, 0, 1, 0] }], PixelMeasuresSequence: [{ PixelSpacing: [0.7, 0.7] }] },
        ],
        PerFrameFunctionalGroupsSequence: frames,
      },
    });
    const object = readArchiveObject(bytes, SECRET, LIMITS) as ImageObject;
    expect(object.frames.map((f) => [f.frame, f.position?.[2]])).toEqual([
      [1, 50],
      [2, 48],
      [3, 46],
    ]);
    const plan = planArchive([{ relPath: 'enhanced.dcm', object }], [], 100);
    expect(plan.series[0].slices.map((s) => s.frame)).toEqual([3, 2, 1]);
    expect(plan.series[0].spacing.z).toBeCloseTo(2, 6);
  });

  it('skips a DICOMDIR and objects that are neither images nor annotations, with the reason', () => {
    const dicomdir = image(1, 0, { extra: { DirectoryRecordSequence: [{ DirectoryRecordType: 'PATIENT' }] } });
    expect(readArchiveObject(dicomdir, SECRET, LIMITS)).toEqual({ kind: 'skip', reason: expect.stringMatching(/DICOMDIR/) });
  });

  it('refuses what is not DICOM, a truncated header, and an absurd frame count', () => {
    expect(() => readArchiveObject(new TextEncoder().encode('hello, not a DICOM file at all'.repeat(10)), SECRET, LIMITS)).toThrow(ArchiveFileError);
    const bytes = image(1, 0);
    expect(() => readArchiveObject(bytes.subarray(0, 300), SECRET, LIMITS)).toThrow(ArchiveFileError);
    expect(() => readArchiveObject(image(1, 0, { extra: { NumberOfFrames: 30000 } }), SECRET, LIMITS)).toThrow(/30000 frames, over the limit/);
  });
});

describe('planArchive and the annotations CSV', () => {
  const walked = (sop: number, z: number): WalkedImage => ({
    relPath: `files/${sop}.dcm`,
    object: readArchiveObject(image(sop, z), SECRET, LIMITS) as ImageObject,
  });

  it('places lesions on slice indexes of the sorted series; a reference to a missing image is reported', () => {
    const images = [walked(3, 17.5), walked(1, 12.5), walked(2, 15)];
    const csv = annotationsFromCsv(
      parseCsv(
        'sop_instance_uid,x1,y1,x2,y2,type\n1.2.826.0.1.77.1.2.2,4,4,10,10,4\n1.2.826.0.1.77.1.2.2,1,1,3,3,\n9.9.9,1,1,3,3,1\n1.2.826.0.1.77.1.2.1,5,5,4,9,2\n',
      ),
      SECRET,
    );
    if ('headerError' in csv) throw new Error(csv.headerError);
    expect(csv.problems).toEqual([{ line: 5, message: 'box must have x2 > x1 and y2 > y1' }]);
    const plan = planArchive(
      images,
      csv.annotations.map((annotation) => ({ annotation, file: 'annotations' })),
      100,
    );
    expect(plan.series).toHaveLength(1);
    const [series] = plan.series;
    expect(series.spacing).toEqual({ x: 0.8, y: 0.8, z: 2.5 });
    expect(series.slices.map((s) => s.relPath)).toEqual(['files/1.dcm', 'files/2.dcm', 'files/3.dcm']);
    expect(series.lesions.map((l) => [l.sliceIndex, l.lesionInImage, l.annotation.coarseType])).toEqual([
      [1, 1, 4],
      [1, 2, -1],
    ]);
    expect(plan.problems).toEqual([{ file: 'annotations', message: expect.stringMatching(/references an image that is not in the folder/) }]);
  });

  it('reads RECIST columns and refuses a header without coordinates', () => {
    const csv = annotationsFromCsv(
      parseCsv('sop_instance_uid,long_x1,long_y1,long_x2,long_y2,short_x1,short_y1,short_x2,short_y2\n1.2.3,10,10,20,10,15,8,15,12\n'),
      SECRET,
    );
    expect(csv).toMatchObject({
      problems: [],
      annotations: [{ recist: [10, 10, 20, 10, 15, 8, 15, 12], longAxisPx: 10, shortAxisPx: 4, box: { x1: 5, y1: 3, x2: 25, y2: 17 } }],
    });
    expect(annotationsFromCsv(parseCsv('sop_instance_uid,x\n'), SECRET)).toEqual({ headerError: expect.stringMatching(/needs columns/) });
  });
});
