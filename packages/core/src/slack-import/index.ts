/**
 * `@parley/core/slack-import` — importing the zip Slack's export produces (kept off the main
 * entry point: it loads yauzl and takes the storage). See requests.ts (who may, the upload),
 * run.ts (the background run), import.ts (the steps), plan.ts (validation) and messages.ts (the
 * bulk writer and how it keeps the log's guarantees).
 */
export { DEFAULT_IMPORT_BATCH, importSlackZip, type TImportSummary } from "./import.ts";
export {
  createSlackImport,
  getSlackImport,
  listSlackImports,
  SLACK_IMPORT_MAX_BYTES,
  startSlackImport,
  type TSlackImportDto,
  ZCreateSlackImport,
  ZSlackImportId,
} from "./requests.ts";
export {
  runPendingSlackImports,
  SLACK_IMPORT_STALE_MS,
  startSlackImportWorker,
  type TSlackImportRunResult,
  wakeSlackImportWorker,
} from "./run.ts";
export { MAX_ENTRIES, MAX_JSON_ENTRY_BYTES, openZipFile } from "./zip.ts";
