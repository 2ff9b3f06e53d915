export { asInstant, compareCursors, cursorReader, cursorVersion, isCursorValue, maxCursor, minCursor } from './cursor-value.js';
export type { CursorValue } from './cursor-value.js';
export { addDuration, parseDuration } from './duration.js';
export { planPartition } from './plan.js';
export type { PartitionPlan, PlanInput, Slice } from './plan.js';
export { partitionKey, StreamStateKeeper } from './state.js';
export type { SavedCursor, StreamCursorState } from './state.js';
