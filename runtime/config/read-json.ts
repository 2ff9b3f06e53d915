import { readFileSync } from 'node:fs';
import { ConnectorError } from '../errors/index.js';

/**
 * Read a JSON file given on the command line (config, catalog, state). `what` names it in errors:
 * "config file", "catalog", "state". Errors say where the JSON breaks, never what the file holds.
 */
export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`;
    throw new ConnectorError('CONFIG_FILE', `${what} ${path} ${reason}`, { location: { file: path }, hint: 'Check the path.', cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message);
    const location = position ? { file: path, ...lineColumn(text, Number(position[1])) } : { file: path };
    throw new ConnectorError('CONFIG_FILE', `${what} ${path} is not valid JSON`, {
      location,
      hint: 'Fix the JSON at the position shown (quotes around keys and strings, no trailing commas).',
      cause: error,
    });
  }
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before[before.length - 1]?.length ?? 0) + 1 };
}
