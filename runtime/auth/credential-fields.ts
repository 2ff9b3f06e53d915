/** `config.token`, `config.api_key`, config.`odd-name`, $config.x: the config keys a template reads. */
const CONFIG_KEY = /\$?config\.(?:`([^`]+)`|([A-Za-z_][\w]*))/g;

/**
 * The config keys referenced by auth templates, in order of first use, for "check config X"
 * messages. Only the template sources are read: no value is ever looked at.
 */
export function credentialFields(sources: readonly (string | undefined)[]): string[] {
  const fields: string[] = [];
  for (const source of sources) {
    if (!source) continue;
    for (const match of source.matchAll(CONFIG_KEY)) {
      const key = match[1] ?? match[2];
      if (key && !fields.includes(key)) fields.push(key);
    }
  }
  return fields;
}
