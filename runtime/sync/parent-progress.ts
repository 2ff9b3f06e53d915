import { partitionKey } from '../incremental/index.js';
import type { ManifestNode, StreamNode } from '../manifest/schema.js';
import type { SyncMode } from '../protocol/messages.js';
import { supportsIncremental } from './catalog.js';

/**
 * A child with `incremental_parent` keeps, in its own state under this key, the state of its parent
 * stream as of the last parent read the child FULLY processed (every partition of it read). The
 * parent's own state is no use to the child: the parent stream saves it when its own read
 * completes, before the child has visited those parents, so a child interrupted (or failing on one
 * partition) would never visit the rest (audit 9, finding 1).
 */
export const PARENT_STATE = 'parent_state';

type State = Readonly<Record<string, unknown>>;

/** The mode a child reads its parent in: incremental only when it asks and the parent supports it. */
export function parentMode(manifest: ManifestNode, parent: string, incremental: boolean): SyncMode {
  const stream = manifest.streams[parent];
  return incremental && stream && supportsIncremental(stream) ? 'incremental' : 'full_refresh';
}

/**
 * Where a stream's incremental parent read starts, and where it ended once it ended. `end` is set
 * only when the parent read completed (or a complete recording of the same read was replayed).
 */
export interface ParentProgress {
  start: State | undefined;
  end: State | undefined;
}

/** The saved parent state inside a child's state, if it holds one (a state saved before it existed does not). */
export function savedParentState(state: State | undefined): State | undefined {
  const value = state?.[PARENT_STATE];
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as State) : undefined;
}

/**
 * The progress of a stream's parent read when it reads its parent incrementally; undefined when it
 * reads no parent, or reads it in full. A child read in full_refresh mode has no state to resume
 * from: its parent is read from the parent's `start`, like a first read.
 */
export function parentProgressOf(manifest: ManifestNode, stream: StreamNode, mode: SyncMode, inputState: State | undefined): ParentProgress | undefined {
  const node = stream.partitions;
  if (!node || !('parent' in node) || parentMode(manifest, node.parent, node.incremental_parent) !== 'incremental') return undefined;
  return { start: mode === 'incremental' ? savedParentState(inputState) : undefined, end: undefined };
}

/** A stream's state with the parent state it has processed (none: the key is left out). */
export function withParentState(state: Record<string, unknown>, parent: State | undefined): Record<string, unknown> {
  return parent === undefined ? state : { ...state, [PARENT_STATE]: parent };
}

/** A key for a state that does not depend on the order of its object keys (partition maps are kept in update order). */
export function stateKey(state: State | undefined): string {
  return state === undefined ? 'null' : partitionKey(state);
}
