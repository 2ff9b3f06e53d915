/**
 * Cassettes: recorded HTTP interactions, one JSON file per stream under
 * `conformance/cassettes/<connector>/<stream>.json`, and webhook samples under
 * `conformance/cassettes/<connector>/webhooks/<event>.json`.
 */
export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. "/repos/octo/hello/pulls". */
  path: string;
  /** Query parameters; order does not matter when replaying. */
  query: Record<string, string | string[]>;
  /** JSON body (GraphQL requests). */
  body?: unknown;
}

export interface RecordedResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON body, or a string when the body was not JSON. */
  body: unknown;
}

export interface Interaction {
  request: RecordedRequest;
  response: RecordedResponse;
}

/** One stream's cassette. */
export interface Cassette {
  /** The stream (or "check") the interactions were recorded for. */
  stream: string;
  /**
   * The rendered `url_base` at recording time, e.g. "https://api.github.com". Request paths are
   * relative to it; replay rewrites it to the local server's origin in headers and bodies
   * (Link headers, next-page URLs).
   */
  base?: string;
  interactions: Interaction[];
}

/**
 * A webhook delivery as the provider sends it. The signature header's digest is replaced by a
 * placeholder such as `<hmac-sha256-hex>`: the harness puts a digest computed with a test secret
 * there, keeping the provider's own prefix and encoding.
 */
export interface WebhookSample {
  event: string;
  headers: Record<string, string>;
  /** The JSON payload; sent as its `JSON.stringify` text. */
  body: unknown;
}

export interface CassetteSet {
  connector: string;
  cassettes: Cassette[];
  webhooks: WebhookSample[];
}

/** Placeholder for a signature digest in a webhook sample, e.g. `<hmac-sha256-hex>`. */
export const DIGEST_PLACEHOLDER = /<hmac-(sha1|sha256|sha512)-(hex|base64)>/;
