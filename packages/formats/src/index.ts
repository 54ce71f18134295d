export {
  type ExportedCollection,
  type ExportedFeature,
  exportGeoJson,
  toGeoJsonCollection,
} from './export/geojson.ts';
export { exportKml } from './export/kml.ts';
export { type Candidate, FormatError, type ImportProblem, type ReadResult } from './import/candidate.ts';
export { type CsvColumns, cellValue, detectColumns } from './import/csv.ts';
export { type CheckedImport, checkImport } from './import/import-text.ts';
export {
  detectFamily,
  FORMAT_NAMES,
  IMPORT_EXTENSIONS,
  type ImportFormat,
  type ReadOptions,
  type ReadOutcome,
  readImport,
} from './import/read.ts';
export { importSummary, problemLine } from './import/summary.ts';
export {
  type Checked,
  checkCandidate,
  describeGeometryIssue,
  type ImportedFeature,
  type ValidatedImport,
  validateCandidates,
  validateCandidatesSync,
} from './import/validate.ts';
export type { DomParserConstructor } from './import/xml.ts';
