/**
 * The CLI's expected failures. Each one carries everything needed to print a helpful message,
 * so `runCli` can turn it into an exit code without ever showing a stack trace.
 */

/** A row-level (or field-level) finding as the API reports it. */
export interface Issue {
  row?: number | undefined;
  column?: string | undefined;
  message: string;
}

/** RFC 9457 problem details, as far as the CLI uses them. */
export interface Problem {
  type?: string | undefined;
  title?: string | undefined;
  status?: number | undefined;
  detail?: string | undefined;
  errors?: Issue[] | undefined;
  /** The whole problem document, for commands that read its extension members. */
  body?: unknown;
}

/** The command line itself is wrong: the message and the usage go to stderr, exit code 2. */
export class UsageError extends Error {
  /** The command (or command group) whose usage should be shown; empty for the global usage. */
  readonly usagePath: readonly string[];

  constructor(message: string, usagePath: readonly string[] = []) {
    super(message);
    this.name = 'UsageError';
    this.usagePath = usagePath;
  }
}

/** Something expected went wrong (a missing file, an unreachable API): message on stderr, exit 1. */
export class CliError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // Each subclass is named after itself without a constructor of its own.
    this.name = new.target.name;
  }
}

/** The API answered with an error status; `problem` holds what it said about it. */
export class ApiProblemError extends CliError {
  readonly status: number;
  readonly problem: Problem;

  constructor(status: number, problem: Problem) {
    super(problem.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** Nothing answered at the API URL (refused, unknown host, timed out). */
export class ApiUnreachableError extends CliError {}

/** The API answered 2xx with something the CLI cannot read (a version mismatch, a proxy page). */
export class UnexpectedResponseError extends CliError {}

/** `row 7, column scheduled_at: message` — the form users can find in their spreadsheet. */
export function formatIssue(issue: Issue): string {
  const where = [
    issue.row === undefined ? undefined : `row ${issue.row}`,
    issue.column === undefined ? undefined : `column ${issue.column}`,
  ].filter((part) => part !== undefined);
  return where.length > 0 ? `${where.join(', ')}: ${issue.message}` : issue.message;
}
