/**
 * The ingestion pipeline's shared parts: file parsers, input discovery, the
 * Redis job-queue contract, the PostgreSQL document store, the OpenSearch
 * document index and reconciliation between them.
 * @module
 */
export {
  type DocumentFormat,
  FileParseError,
  formatOf,
  formatsByExtension,
  type ParsedDocument,
  type ParsedFile,
  type RecordProblem,
} from "./document.ts";
export { canonicalJson, contentHash } from "./content_hash.ts";
export { decodeUtf8, parseDocumentFile, parseDocumentText } from "./parse_document_file.ts";
export { findInputFiles, type InputFiles } from "./find_input_files.ts";
export {
  boundaryRefusal,
  type CheckedInput,
  checkInputFile,
  type InputBoundary,
  InputRefusedError,
  openCheckedInput,
  openInputFile,
  resolveBoundary,
} from "./input_roots.ts";
