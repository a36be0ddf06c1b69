import type { RowIssue } from './domain/upload.ts';

/** A finding about one field: `row` is set when the field is in a row of an uploaded file. */
export type Issue = Omit<RowIssue, 'row'> & { row?: number };

/** Error options plus problem-detail extension members (e.g. a post's current status). */
export interface PulsecastErrorOptions extends ErrorOptions {
  extensions?: Record<string, unknown>;
}

/**
 * Domain errors. Adapters translate SDK and platform errors into these; the HTTP layer maps
 * them to problem details. `expose` says whether the message is safe to show a caller.
 */
export abstract class PulsecastError extends Error {
  abstract readonly problem: string;
  abstract readonly status: number;
  readonly expose: boolean = true;
  /** Extra members for the problem details, when exposed: facts the caller can act on. */
  readonly extensions: Record<string, unknown>;

  constructor(message: string, options?: PulsecastErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.extensions = options?.extensions ?? {};
  }
}

/**
 * The base of an error that is no more than its problem type and status: `class XError extends
 * problemError('x', 409) {}` keeps its own name for `instanceof` and logs.
 */
export function problemError(problem: string, status: number, options: { expose?: boolean } = {}) {
  return class extends PulsecastError {
    readonly problem = problem;
    readonly status = status;
    override readonly expose = options.expose ?? true;
  };
}

/** Input that breaks a rule; `issues` lists every row and column at fault. */
export class ValidationError extends problemError('validation-failed', 422) {
  constructor(
    message: string,
    readonly issues: Issue[] = [],
    readonly warnings: Issue[] = [],
  ) {
    super(message);
  }
}

/** The request itself cannot be understood (bad JSON, bad query parameter, bad cursor). */
export class BadRequestError extends problemError('bad-request', 400) {
  constructor(
    message: string,
    readonly issues: Issue[] = [],
    options?: PulsecastErrorOptions,
  ) {
    super(message, options);
  }
}

export class NotFoundError extends problemError('not-found', 404) {
  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super(`${resource} '${id}' does not exist`);
  }
}

/** The resource is in a state that does not allow the change (e.g. a post already claimed). */
export class ConflictError extends problemError('conflict', 409) {}

/** A conditional write lost: someone else changed the item since it was read. */
export class VersionConflictError extends problemError('version-conflict', 409) {
  constructor(
    readonly resource: string,
    readonly id: string,
    options?: PulsecastErrorOptions,
  ) {
    super(`${resource} '${id}' was changed by someone else; read it again and retry`, options);
  }
}

/** A replace without `If-Match` (RFC 6585 428): a blind overwrite is not offered. */
export class PreconditionRequiredError extends problemError('precondition-required', 428) {}

/** `If-Match` names a version that is no longer the stored one (RFC 9110 412). */
export class PreconditionFailedError extends problemError('precondition-failed', 412) {}

/** The store could not complete a write after retries (throttling, outage). Not the caller's fault. */
export class StoreUnavailableError extends problemError('store-unavailable', 503, { expose: false }) {}

/**
 * A key that goes into the stack's Keys secret by hand (Slack's signing secret, the conversion
 * webhook's key) is not there yet (shared/stack-keys.ts): the feature is not set up, so 503.
 */
export class KeyNotSetError extends problemError('key-not-set', 503) {}

/** An unsubscribe link whose signature does not match its address (shared/notify/unsubscribe.ts). */
export class UnsubscribeSignatureError extends problemError('bad-unsubscribe-link', 403) {}
