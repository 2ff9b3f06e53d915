import { ConnectorError } from '../errors/index.js';

/** Every problem found in one manifest, in file order. `code` and `location` are the first problem's. */
export class ManifestValidationError extends ConnectorError {
  readonly problems: readonly ConnectorError[];

  constructor(problems: readonly ConnectorError[]) {
    const first = problems[0];
    if (!first) throw new Error('ManifestValidationError needs at least one problem');
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
    super(first.code, `${first.message}${more}`, {
      ...(first.hint === undefined ? {} : { hint: first.hint }),
      ...(first.location === undefined ? {} : { location: first.location }),
      context: { problems: problems.length },
    });
    this.problems = problems;
  }

  /** One line per problem. */
  formatAll(): string {
    return this.problems.map((problem) => problem.format()).join('\n');
  }
}

export function isManifestValidationError(error: unknown): error is ManifestValidationError {
  return error instanceof ManifestValidationError;
}
