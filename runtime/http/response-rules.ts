import { compileExpression, compileTemplate, type Expression, type Scope, type Template } from '../expressions/index.js';
import { parseRetryAfter, secondsToMs, untilInstant } from './retry.js';
import type { FailureTypeNode, ResponseRuleNode } from './schema.js';

/** What to do with one response. */
export type Decision =
  | { kind: 'success' }
  | { kind: 'ignore' }
  | { kind: 'fail'; message?: string; failureType?: FailureTypeNode }
  | { kind: 'retry'; waitMs?: number }
  | { kind: 'rate_limited'; waitMs?: number }
  /** 401/403 by default: refresh the credential once, then fail naming it. */
  | { kind: 'auth' }
  | { kind: 'graphql_errors'; messages: string[] };

export interface ResponseFacts {
  status: number;
  /** Lower-case names. */
  headers: Readonly<Record<string, string>>;
  /** Parsed JSON body, or the text when it is not JSON. */
  response: unknown;
  graphql: boolean;
  now: number;
  /** The request's scope (config, partition...), for conditions and messages. */
  scope: Scope;
  /** Declared `rate_limit.remaining_header`, lower-case. */
  remainingHeader?: string;
}

interface CompiledRule {
  when: Expression;
  action: ResponseRuleNode['action'];
  waitUntil?: Expression;
  waitSeconds?: Expression;
  message?: Template;
  failureType?: FailureTypeNode;
}

export type ResponseClassifier = (facts: ResponseFacts) => Promise<Decision>;

/** Compile the manifest's `on_response` rules once; the classifier tries them in order, then the defaults. */
export function createResponseClassifier(rules: readonly ResponseRuleNode[] | undefined): ResponseClassifier {
  const compiled: CompiledRule[] = (rules ?? []).map((rule) => ({
    when: compileExpression(rule.when),
    action: rule.action,
    ...(rule.wait_until ? { waitUntil: compileExpression(rule.wait_until) } : {}),
    ...(rule.wait_seconds ? { waitSeconds: compileExpression(rule.wait_seconds) } : {}),
    ...(rule.message ? { message: compileTemplate(rule.message) } : {}),
    ...(rule.failure_type ? { failureType: rule.failure_type } : {}),
  }));
  return async (facts) => {
    const input = { ...facts.scope, status: facts.status, headers: facts.headers, response: facts.response };
    for (const rule of compiled) {
      if (!truthy(await rule.when.evaluate(input, input))) continue;
      return ruleDecision(rule, facts, input);
    }
    return defaultDecision(facts);
  };
}

async function ruleDecision(rule: CompiledRule, facts: ResponseFacts, input: Scope): Promise<Decision> {
  switch (rule.action) {
    case 'success':
    case 'ignore':
      return { kind: rule.action };
    case 'fail': {
      const message = rule.message ? await rule.message.render(input) : undefined;
      return {
        kind: 'fail',
        ...(message === undefined || message === null ? {} : { message: String(message) }),
        ...(rule.failureType ? { failureType: rule.failureType } : {}),
      };
    }
    case 'retry':
    case 'rate_limited': {
      const waitMs = await ruleWait(rule, facts, input);
      return waitMs === undefined ? { kind: rule.action } : { kind: rule.action, waitMs };
    }
  }
}

async function ruleWait(rule: CompiledRule, facts: ResponseFacts, input: Scope): Promise<number | undefined> {
  if (rule.waitUntil) {
    const until = untilInstant(await rule.waitUntil.evaluate(input, input), facts.now);
    if (until !== undefined) return until;
  }
  if (rule.waitSeconds) {
    const seconds = secondsToMs(await rule.waitSeconds.evaluate(input, input));
    if (seconds !== undefined) return seconds;
  }
  return parseRetryAfter(facts.headers['retry-after'], facts.now);
}

/** The defaults: 2xx ok; 429 (and 403 that says "rate limit") wait; 408/5xx retry; 401/403 auth; other 4xx fail. */
export function defaultDecision(facts: ResponseFacts): Decision {
  const { status, headers } = facts;
  const retryAfter = parseRetryAfter(headers['retry-after'], facts.now);
  if (status >= 200 && status < 300) return facts.graphql ? graphqlDecision(facts, retryAfter) : { kind: 'success' };
  if (status === 429) return withWait('rate_limited', retryAfter);
  if (status === 403 && (retryAfter !== undefined || exhaustedBudget(facts))) return withWait('rate_limited', retryAfter);
  if (status === 401 || status === 403) return { kind: 'auth' };
  if (status === 408 || status >= 500) return withWait('retry', retryAfter);
  return { kind: 'fail' };
}

/** GitHub answers secondary limits with 403 and `x-ratelimit-remaining: 0`. */
function exhaustedBudget(facts: ResponseFacts): boolean {
  const header = facts.remainingHeader ?? 'x-ratelimit-remaining';
  return facts.headers[header] === '0';
}

function graphqlDecision(facts: ResponseFacts, retryAfter: number | undefined): Decision {
  const errors = (facts.response as { errors?: unknown } | null | undefined)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return { kind: 'success' };
  // GitHub reports an exhausted GraphQL budget as a 200 with an error of type RATE_LIMITED.
  if (errors.some((e) => (e as { type?: unknown })?.type === 'RATE_LIMITED')) return withWait('rate_limited', retryAfter);
  return { kind: 'graphql_errors', messages: errors.map((e) => String((e as { message?: unknown })?.message ?? JSON.stringify(e))) };
}

function withWait(kind: 'retry' | 'rate_limited', waitMs: number | undefined): Decision {
  return waitMs === undefined ? { kind } : { kind, waitMs };
}

function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return Boolean(value);
}
