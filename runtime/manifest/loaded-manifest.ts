import type { SourceLocation } from '../errors/index.js';
import type { ManifestNode } from './schema.js';

/**
 * A manifest after load: YAML parsed with positions, `$ref` resolved, validated against the schema,
 * defaults applied, every expression compiled, then deep-frozen. Components trust its shape.
 */
export interface LoadedManifest {
  readonly node: ManifestNode;
  /** The file it came from (as given), or `<inline>`. */
  readonly file: string;
  /** The YAML it was parsed from (a thread that needs the manifest parses this, not the file again). */
  readonly text: string;
  /** Where a manifest path (e.g. ['streams', 'issues', 'pagination']) is in the file. */
  locate(path: ReadonlyArray<string | number>): SourceLocation;
}
