import { COARSE_TYPE_TABLE } from '../../deeplesion/coarse-types';
import { TermClass, VocabularyTerm } from './vocabulary';
import { linkTerms } from './vocabulary-links';

/**
 * The project's own default vocabulary of CT lesion terms, written for this service (not taken from any
 * published ontology; common medical words naturally coincide). It is used when no ontology was imported.
 * Each entry lists only its synonyms, parents and exclusive terms: children and the reverse direction of
 * exclusivity are filled in by linkTerms, so an entry cannot disagree with another.
 */
type Entry = [name: string, synonyms: string[], parents: string[], exclusive?: string[]];

const BODY_PARTS: Entry[] = [
  // Regions; DeepLesion's eight coarse types are among them (see COARSE_TYPE_TERMS).
  ['chest', ['thorax', 'thoracic', 'intrathoracic'], [], ['abdomen', 'pelvis', 'neck', 'extremity']],
  ['abdomen', ['abdominal', 'intra-abdominal'], [], ['pelvis', 'neck', 'extremity']],
  ['pelvis', ['pelvic'], [], ['neck', 'extremity']],
  ['neck', ['cervical region'], [], ['extremity']],
  ['extremity', ['limb', 'arm', 'leg', 'thigh'], []],
  ['bone', ['osseous', 'skeletal'], []],
  ['soft tissue', ['soft tissues', 'soft-tissue'], []],
  ['upper abdomen', ['upper abdominal'], ['abdomen']],

  // Chest.
  ['lung', ['pulmonary', 'lungs', 'parenchymal lung'], ['chest'], ['mediastinum', 'pleura', 'chest wall']],
  ['right lung', ['right pulmonary'], ['lung'], ['left lung']],
  ['left lung', ['left pulmonary'], ['lung']],
  ['right upper lobe', ['rul', 'right upper lung'], ['right lung'], ['right middle lobe', 'right lower lobe']],
  ['right middle lobe', ['rml', 'middle lobe', 'right mid lung'], ['right lung'], ['right lower lobe']],
  ['right lower lobe', ['rll', 'right lower lung', 'right lung base'], ['right lung']],
  ['left upper lobe', ['lul', 'left upper lung'], ['left lung'], ['left lower lobe']],
  ['lingula', ['lingular'], ['left upper lobe']],
  ['left lower lobe', ['lll', 'left lower lung', 'left lung base'], ['left lung']],
  ['mediastinum', ['mediastinal'], ['chest'], ['pleura', 'chest wall']],
  ['anterior mediastinum', ['anterior mediastinal', 'prevascular space'], ['mediastinum']],
  ['hilum', ['hilar', 'pulmonary hilum', 'perihilar'], ['chest']],
  ['pleura', ['pleural'], ['chest'], ['chest wall']],
  ['chest wall', ['thoracic wall'], ['chest']],
  ['axilla', ['axillary'], ['chest']],
  ['breast', ['mammary'], ['chest']],
  ['heart', ['cardiac', 'pericardium', 'pericardial'], ['chest']],
  ['thyroid gland', ['thyroid'], ['neck']],

  // Lymph nodes and their stations.
  ['lymph node', ['lymph nodes', 'node', 'nodal'], []],
  ['cervical lymph node', ['cervical node', 'neck lymph node', 'neck node'], ['lymph node', 'neck']],
  ['supraclavicular lymph node', ['supraclavicular node'], ['lymph node', 'neck']],
  ['axillary lymph node', ['axillary node', 'axillary adenopathy'], ['lymph node', 'axilla']],
  ['mediastinal lymph node', ['mediastinal node', 'mediastinum lymph node', 'mediastinal adenopathy'], ['lymph node', 'mediastinum']],
  ['paratracheal lymph node', ['paratracheal node', 'pretracheal lymph node', 'pretracheal node'], ['mediastinal lymph node']],
  ['subcarinal lymph node', ['subcarinal node', 'precarinal lymph node', 'precarinal node'], ['mediastinal lymph node']],
  ['prevascular lymph node', ['prevascular node', 'aortopulmonary window lymph node', 'ap window node'], ['mediastinal lymph node']],
  ['hilar lymph node', ['hilar node', 'hilar adenopathy', 'hilum lymph node'], ['mediastinal lymph node', 'hilum']],
  ['retroperitoneal lymph node', ['retroperitoneal node', 'retroperitoneal adenopathy'], ['lymph node', 'retroperitoneum']],
  [
    'para-aortic lymph node',
    ['paraaortic lymph node', 'periaortic lymph node', 'para-aortic node', 'paraaortic node', 'aortocaval lymph node', 'retrocaval lymph node'],
    ['retroperitoneal lymph node'],
  ],
  ['retrocrural lymph node', ['retrocrural node'], ['lymph node', 'abdomen']],
  ['mesenteric lymph node', ['mesenteric node', 'mesenteric adenopathy'], ['lymph node', 'mesentery']],
  [
    'porta hepatis lymph node',
    ['portal lymph node', 'periportal lymph node', 'portacaval lymph node', 'portocaval lymph node', 'periportal node'],
    ['lymph node', 'abdomen'],
  ],
  ['iliac lymph node', ['iliac node', 'pelvic lymph node', 'pelvic node', 'pelvic sidewall lymph node'], ['lymph node', 'pelvis']],
  ['inguinal lymph node', ['inguinal node', 'groin lymph node', 'femoral lymph node'], ['lymph node', 'pelvis']],

  // Abdomen.
  ['liver', ['hepatic', 'hepatic lobe'], ['upper abdomen'], ['spleen', 'kidney', 'pancreas', 'stomach', 'gallbladder', 'adrenal gland']],
  ['right hepatic lobe', ['right lobe of the liver', 'right liver lobe', 'right lobe of liver'], ['liver'], ['left hepatic lobe']],
  ['left hepatic lobe', ['left lobe of the liver', 'left liver lobe', 'left lobe of liver'], ['liver']],
  ['caudate lobe', ['caudate'], ['liver'], ['left hepatic lobe']],
  ['liver dome', ['hepatic dome'], ['liver']],
  ['porta hepatis', [], ['liver']],
  ['gallbladder', ['gall bladder'], ['upper abdomen']],
  ['spleen', ['splenic'], ['upper abdomen'], ['kidney', 'pancreas', 'adrenal gland']],
  ['pancreas', ['pancreatic'], ['upper abdomen', 'retroperitoneum'], ['kidney', 'adrenal gland']],
  ['pancreatic head', ['head of the pancreas', 'head of pancreas', 'uncinate process'], ['pancreas'], ['pancreatic body', 'pancreatic tail']],
  ['pancreatic body', ['body of the pancreas', 'body of pancreas'], ['pancreas'], ['pancreatic tail']],
  ['pancreatic tail', ['tail of the pancreas', 'tail of pancreas'], ['pancreas']],
  ['kidney', ['renal', 'kidneys'], ['upper abdomen', 'retroperitoneum'], ['adrenal gland']],
  ['right kidney', ['right renal'], ['kidney'], ['left kidney']],
  ['left kidney', ['left renal'], ['kidney']],
  ['adrenal gland', ['adrenal', 'adrenals', 'suprarenal gland'], ['upper abdomen', 'retroperitoneum']],
  ['right adrenal gland', ['right adrenal'], ['adrenal gland'], ['left adrenal gland']],
  ['left adrenal gland', ['left adrenal'], ['adrenal gland']],
  ['stomach', ['gastric'], ['upper abdomen']],
  ['bowel', ['intestine', 'intestinal', 'small bowel', 'colon', 'colonic', 'duodenum', 'duodenal'], ['abdomen']],
  ['retroperitoneum', ['retroperitoneal'], ['abdomen']],
  ['mesentery', ['mesenteric'], ['abdomen']],
  ['peritoneum', ['peritoneal', 'omentum', 'omental'], ['abdomen']],
  ['abdominal wall', [], ['abdomen']],

  // Pelvis.
  ['urinary bladder', ['bladder'], ['pelvis']],
  ['prostate', ['prostatic'], ['pelvis']],
  ['uterus', ['uterine'], ['pelvis']],
  ['ovary', ['ovarian', 'adnexa', 'adnexal'], ['pelvis']],
  ['rectum', ['rectal'], ['pelvis']],
  ['groin', ['inguinal'], ['pelvis']],

  // Bone and soft tissue.
  ['spine', ['spinal', 'vertebra', 'vertebral'], ['bone']],
  ['vertebral body', [], ['spine']],
  ['rib', [], ['bone', 'chest']],
  ['sternum', ['sternal'], ['bone', 'chest']],
  ['pelvic bone', ['iliac bone', 'ilium', 'iliac wing', 'sacrum', 'sacral', 'ischium', 'acetabulum'], ['bone', 'pelvis']],
  ['femur', ['femoral'], ['bone', 'extremity']],
  ['subcutaneous tissue', ['subcutaneous', 'subcutaneous fat'], ['soft tissue']],
  ['muscle', ['muscular', 'intramuscular'], ['soft tissue']],
];

const TYPES: Entry[] = [
  ['nodule', ['nodular', 'micronodule'], []],
  ['mass', ['masslike', 'mass-like'], []],
  // "cystic mass" and "cystic metastasis" are real findings: a cyst excludes only solid things.
  ['cyst', ['cystic'], [], ['solid', 'abscess']],
  ['neoplasm', ['tumor', 'tumour', 'neoplastic', 'malignancy'], []],
  ['metastasis', ['metastatic', 'metastatic disease', 'met', 'mets'], ['neoplasm']],
  ['primary malignancy', ['carcinoma', 'cancer', 'sarcoma'], ['neoplasm']],
  ['lymphoma', ['lymphomatous'], ['neoplasm']],
  ['hemangioma', ['haemangioma', 'hemangiomas'], ['neoplasm']],
  ['adenoma', [], ['neoplasm']],
  ['lipoma', ['angiomyolipoma'], ['neoplasm']],
  ['lymphadenopathy', ['adenopathy', 'lymph node enlargement'], ['lymph node', 'enlarged']],
  ['lung nodule', ['pulmonary nodule'], ['lung', 'nodule']],
  ['liver mass', ['hepatic mass'], ['liver', 'mass']],
  ['renal cyst', ['kidney cyst'], ['kidney', 'cyst']],
  ['abscess', [], []],
  ['hematoma', ['haematoma', 'hemorrhage', 'hemorrhagic', 'bleed'], []],
  ['fluid collection', ['collection', 'fluid'], [], ['solid']],
  ['pleural effusion', ['effusion'], ['pleura']],
  ['opacity', ['opacities', 'opacification'], []],
  ['ground-glass opacity', ['ground glass', 'ground-glass', 'ggo'], ['opacity'], ['solid']],
  ['consolidation', ['consolidative'], ['opacity']],
  ['atelectasis', ['atelectatic'], ['lung']],
  ['granuloma', ['granulomatous'], []],
  ['thickening', ['thickened', 'wall thickening'], []],
  ['calculus', ['stone', 'calculi'], []],
];

const ATTRIBUTES: Entry[] = [
  ['hypodense', ['hypoattenuating', 'hypoattenuation', 'hypodensity', 'low attenuation', 'low density', 'low-attenuation', 'low-density'], [], ['hyperdense']],
  ['hyperdense', ['hyperattenuating', 'hyperattenuation', 'hyperdensity', 'high attenuation', 'high density', 'high-attenuation', 'high-density'], []],
  ['enhancing', ['enhancement', 'enhances', 'hyperenhancing', 'avidly enhancing'], [], ['nonenhancing']],
  ['nonenhancing', ['non-enhancing', 'without enhancement'], []],
  ['rim enhancing', ['rim enhancement', 'peripheral enhancement', 'ring enhancing', 'ring-enhancing'], ['enhancing']],
  ['hypervascular', ['arterially enhancing'], ['enhancing']],
  ['calcified', ['calcification', 'calcific', 'calcifications'], [], ['noncalcified']],
  ['noncalcified', ['non-calcified', 'uncalcified', 'not calcified'], []],
  ['necrotic', ['necrosis', 'central necrosis'], []],
  ['spiculated', ['spiculation', 'irregular margin', 'irregular margins'], [], ['well-circumscribed']],
  ['well-circumscribed', ['circumscribed', 'well-defined', 'well defined', 'sharply marginated'], [], ['ill-defined']],
  ['ill-defined', ['poorly defined', 'poorly-defined', 'indistinct'], []],
  ['enlarged', ['enlargement', 'prominent', 'bulky'], [], ['subcentimeter']],
  ['large', ['big', 'huge', 'sizable'], [], ['small']],
  ['small', ['tiny', 'little'], []],
  ['subcentimeter', ['sub-centimeter'], ['small']],
  ['solid', ['solid-appearing'], []],
  ['heterogeneous', ['heterogeneously', 'inhomogeneous'], [], ['homogeneous']],
  ['homogeneous', ['homogeneously', 'uniform'], []],
  ['lobulated', ['lobular', 'bilobed', 'multilobulated'], []],
  ['round', ['rounded', 'spherical'], []],
  ['oval', ['ovoid'], []],
  ['cavitary', ['cavitating', 'cavitation'], []],
  ['septated', ['septations', 'septation', 'multiseptated'], []],
  ['fat-containing', ['fatty', 'fat density', 'fat attenuation'], []],
  ['lytic', ['osteolytic', 'lucent'], [], ['sclerotic']],
  ['sclerotic', ['osteosclerotic', 'blastic', 'osteoblastic'], []],
  ['exophytic', [], []],
  ['wedge-shaped', [], []],
];

function build(entries: [TermClass, Entry[]][]): VocabularyTerm[] {
  const terms: VocabularyTerm[] = [];
  for (const [termClass, list] of entries) {
    for (const [name, synonyms, parents, exclusive = []] of list) terms.push({ name, termClass, synonyms, parents, children: [], exclusive });
  }
  const linked = linkTerms(terms);
  // A broken reference here is a bug in the list above; fail loudly at import rather than drop it.
  if (linked.warnings.length) throw new Error(`default vocabulary: ${linked.warnings.join('; ')}`);
  return linked.terms;
}

export const DEFAULT_VOCABULARY: readonly VocabularyTerm[] = build([
  ['bodypart', BODY_PARTS],
  ['type', TYPES],
  ['attribute', ATTRIBUTES],
]);

/** DeepLesion's coarse lesion type (DL_info.csv Coarse_lesion_type 1..8) as the term it implies: its label in the one table. */
export const COARSE_TYPE_TERMS: Readonly<Record<number, string>> = Object.fromEntries(
  COARSE_TYPE_TABLE.filter((t) => t.code > 0).map((t) => [t.code, t.label]),
);
