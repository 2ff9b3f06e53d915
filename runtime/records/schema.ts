import { Type } from '@sinclair/typebox';
import { Expr } from '../manifest/schema-helpers.js';

/** Stream keys interpreted by runtime/records: selecting, filtering and mapping records. */
export const recordKeys = {
  records: Expr('Select the records in a response body, e.g. "$" (the body is the list) or "data.items". Default "$".', { default: '$' }),
  filter: Type.Optional(Expr('Keep a record only when this is true, over the raw record, e.g. "$not($exists(pull_request))".')),
  map: Type.Optional(Expr('Reshape a raw record into the stream record. `$partition`, `$config`, `$headers` are in scope.')),
};
