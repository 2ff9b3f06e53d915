export { buildRequest, renderDeep } from './build-request.js';
export { createRequester } from './create-requester.js';
export { sendOnce } from './transport.js';
export type { CreateRequesterOptions, Sleep } from './create-requester.js';
export { CircuitOpenError, HttpStatusError, RateLimitedError, isCircuitOpenError, isHttpStatusError, isRateLimitedError } from './errors.js';
export { clearRateBudgets } from './rate-limit.js';
export type { HttpResponse, Logger, PreparedRequest, Requester, RequesterStats } from './types.js';
export type {
  CircuitBreakerNode,
  FailureTypeNode,
  GraphQLRequestNode,
  RateLimitNode,
  RequestNode,
  RequesterNode,
  ResponseRuleNode,
  RetryNode,
} from './schema.js';
