import type { SignatureNode } from './schema.js';
import { fail, type VerifyResult } from './types.js';

/** `{{ config.a.b }}` and nothing else: the config key such a template reads, else undefined. */
export function plainConfigKey(template: string): string | undefined {
  const match = /^\s*\{\{\s*\$?config\.([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\s*\}\}\s*$/.exec(template);
  return match ? `config.${match[1]}` : undefined;
}

/**
 * The answer when a rule's secret template(s) render nothing for this connection. Names what to set:
 * the config key of a plain `{{ config.x }}` template, else the template's source (never a value: the
 * templates come from the manifest, the values they would render are what is missing).
 */
export function missingSecret(rule: Exclude<SignatureNode, { type: 'none' }>): VerifyResult {
  return fail('misconfigured', `webhooks.signature.secret renders no value: set ${secretSources(rule).join(' or ')} for this connection`);
}

/** What a connection must set for the rule's secret to render: `config.webhook_secret`, or a template's source. */
export function secretSources(rule: Exclude<SignatureNode, { type: 'none' }>): string[] {
  const templates = Array.isArray(rule.secret) ? rule.secret : [rule.secret];
  return templates.map((template) => plainConfigKey(template) ?? `the config values read by ${JSON.stringify(template)}`);
}
