export { createRecordPipeline, kindOf } from './pipeline.js';
export { createKeyOf } from './key.js';
export type { DataRecord, ExtractedPage, RecordPipeline } from './types.js';
