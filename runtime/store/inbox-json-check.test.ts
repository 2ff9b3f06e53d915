import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../crypto/index.js';
import { createInboxCore, type InlineInboxCore, type InsertItem } from './inbox-core.js';
import { createSqliteStore } from './sqlite-store.js';

/**
 * The inbox's JSON check (SQLite's json_valid, JSON.parse where it does not accept) against
 * JSON.parse itself: a body is refused exactly when JSON.parse refuses its text, with JSON.parse's
 * reason. Driven through the core's insert path, on bodies built to sit near the grammar's edges.
 */
let dir: string;
let db: Database.Database;
let core: InlineInboxCore;
let next = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwi-json-check-'));
  await createSqliteStore({ file: join(dir, 'gwi.db'), secretBox: createSecretBox(dir, { GWI_SECRET_KEY: 'a'.repeat(64) }), inbox: 'inline' }).close();
  db = new Database(join(dir, 'gwi.db'));
  db.pragma('synchronous = OFF');
  core = createInboxCore(db, Database);
});
afterAll(() => {
  core.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What JSON.parse says of these bytes: undefined when it takes them, else its message. */
function parseProblem(body: Buffer): string | undefined {
  try {
    JSON.parse(body.toString('utf8'));
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The inbox's answer for each body, marked JSON: undefined when stored, else the reason it gave. */
function inboxProblems(bodies: readonly Buffer[]): (string | undefined)[] {
  const items = bodies.map((body): InsertItem => [0, 'github', 'acme', `d-${next++}`, 'push', 1000, 'application/json', '{}', body, true]);
  return core.insertAll(items).map(([, , , invalidJson]) => invalidJson);
}

function expectLikeJsonParse(bodies: readonly Buffer[]): void {
  const got = inboxProblems(bodies);
  bodies.forEach((body, i) => {
    expect({ body: body.toString('latin1'), problem: got[i] }).toEqual({ body: body.toString('latin1'), problem: parseProblem(body) });
  });
}

describe('the inbox JSON check', () => {
  it('takes and refuses what JSON.parse does at the edges of the grammar, and of SQLite\'s reading', () => {
    const cases = [
      '{"a":1}', '[]', '{}', ' 1 ', '-0', '1E+2', '0.5e-3', '"\\ud800"', '"\\u00e9\\n\\"\\\\\\/\\b\\f\\r\\t"', '"\u2028"', '"\x7f"', 'true', 'null',
      '', '  ', '{"a":1,}', '[1,]', '[1,2', '{a:1}', "'a'", '01', '1.', '.5', '1e', '-', '+1', '0x10', 'NaN', 'Infinity', 'TRUE',
      '1 2', '1//c', '{"a":1/*c*/}', '"\\x41"', '"\\0"', '"\\U1234"', '"\\u12"', `"\\'"`, '"a\\\nb"', '"a\nb"', '"\t"', '"\x01"',
      '\f1', '\v1', '\u00a01', '\ufeff1', '\u20281',
    ].map((text) => Buffer.from(text));
    const bytes = [
      // NUL: SQLite's text ends there, JSON never has one.
      Buffer.from('{"a":1}\0'), Buffer.from('\0{"a":1}'), Buffer.from('{"a":"x\0y"}'),
      // Bytes that are not UTF-8, in a string (decoded as U+FFFD, taken) and outside one (refused).
      Buffer.from([0x22, 0xff, 0xfe, 0x22]), Buffer.from([0x22, 0xc0, 0xa2, 0x22]), Buffer.from([0x22, 0xe2, 0x22]), Buffer.from([0x31, 0x80]),
      // Deeper than SQLite's 1,000 levels: JSON.parse takes it, so the inbox does.
      Buffer.from('['.repeat(1_500) + ']'.repeat(1_500)), Buffer.from('{"a":'.repeat(1_200) + '1' + '}'.repeat(1_200)),
    ];
    expectLikeJsonParse([...cases, ...bytes]);
  });

  it('agrees with JSON.parse on thousands of generated and damaged bodies', () => {
    let seed = 20261126;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const value = (depth: number): unknown => {
      const r = random();
      if (depth > 3 || r < 0.4) {
        return pick([
          () => Math.floor(random() * 1e6) * (random() < 0.5 ? -1 : 1), () => random() * 1e-7, () => random() * 1e300, () => true, () => false, () => null,
          () => String.fromCharCode(...Array.from({ length: Math.floor(random() * 6) }, () => pick([0x41, 0x22, 0x5c, 0x0a, 0x01, 0x1f, 0x7f, 0xe9, 0x2028, 0xd800, 0x20ac, 0x2f]))),
        ])();
      }
      if (r < 0.7) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, (_, i) => [`k${i}${pick(['', '"', '\\', 'é'])}`, value(depth + 1)]));
    };
    // Bytes that matter to a JSON reader: structure, escapes, number parts, letters of the words, controls, bytes that are not ASCII.
    const special = [0x00, 0x01, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1f, 0x20, 0x22, 0x27, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x3a, 0x45, 0x5b, 0x5c, 0x5d, 0x65, 0x66, 0x6c, 0x6e, 0x74, 0x75, 0x78, 0x7b, 0x7d, 0x7f, 0x80, 0xa0, 0xc0, 0xe2, 0xef, 0xff];
    const damaged = (body: Buffer): Buffer => {
      const bytes = [...body];
      for (let k = 1 + Math.floor(random() * 3); k > 0; k--) {
        const at = Math.floor(random() * (bytes.length + 1));
        const op = random();
        if (op < 0.33) bytes.splice(at, 1);
        else if (op < 0.66) bytes.splice(at, 0, pick(special));
        else bytes[Math.min(at, bytes.length - 1)] = pick(special);
      }
      if (random() < 0.1) bytes.length = Math.floor(random() * bytes.length);
      return Buffer.from(bytes);
    };
    const tokens = ['{', '}', '[', ']', ',', ':', '"', '"a"', '1', '-', '0', '.5', 'e', 'E+', 'true', 'fals', 'null', ' ', '\n', '\\', '\\u00', '\\n', 'é', '\0', '\f'];
    const bodies: Buffer[] = [];
    for (let i = 0; i < 6_000; i++) {
      const r = random();
      const text = () => JSON.stringify(value(0), null, random() < 0.3 ? 1 : undefined);
      if (r < 0.25) bodies.push(Buffer.from(text()));
      else if (r < 0.75) bodies.push(damaged(Buffer.from(text())));
      else bodies.push(Buffer.from(Array.from({ length: 1 + Math.floor(random() * 10) }, () => pick(tokens)).join('')));
    }
    const valid = bodies.filter((body) => parseProblem(body) === undefined).length;
    // Both kinds well represented: the check is held to JSON.parse on each.
    expect(valid).toBeGreaterThan(1_500);
    expect(bodies.length - valid).toBeGreaterThan(1_500);
    for (let i = 0; i < bodies.length; i += 500) expectLikeJsonParse(bodies.slice(i, i + 500));
  });
});
