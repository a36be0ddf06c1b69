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

/** Input that breaks a rule; `issues` lists every row and column at fault. */
export class ValidationError extends PulsecastError {
  readonly problem = 'validation-failed';
  readonly status = 422;
  constructor(
    message: string,
    readonly issues: Issue[] = [],
    readonly warnings: Issue[] = [],
  ) {
    super(message);
  }
}

/** The request itself cannot be understood (bad JSON, bad query parameter, bad cursor). */
export class BadRequestError extends PulsecastError {
  readonly problem = 'bad-request';
  readonly status = 400;
  constructor(
    message: string,
    readonly issues: Issue[] = [],
    options?: PulsecastErrorOptions,
  ) {
    super(message, options);
  }
}

export class NotFoundError extends PulsecastError {
  readonly problem = 'not-found';
  readonly status = 404;
  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super(`${resource} '${id}' does not exist`);
  }
}

/** The resource is in a state that does not allow the change (e.g. a post already claimed). */
export class ConflictError extends PulsecastError {
  readonly problem = 'conflict';
  readonly status = 409;
}

/** A conditional write lost: someone else changed the item since it was read. */
export class VersionConflictError extends PulsecastError {
  readonly problem = 'version-conflict';
  readonly status = 409;
  constructor(
    readonly resource: string,
    readonly id: string,
    options?: PulsecastErrorOptions,
  ) {
    super(`${resource} '${id}' was changed by someone else; read it again and retry`, options);
  }
}

/** A replace without `If-Match` (RFC 6585 428): a blind overwrite is not offered. */
export class PreconditionRequiredError extends PulsecastError {
  readonly problem = 'precondition-required';
  readonly status = 428;
}

/** `If-Match` names a version that is no longer the stored one (RFC 9110 412). */
export class PreconditionFailedError extends PulsecastError {
  readonly problem = 'precondition-failed';
  readonly status = 412;
}

/** The store could not complete a write after retries (throttling, outage). Not the caller's fault. */
export class StoreUnavailableError extends PulsecastError {
  readonly problem = 'store-unavailable';
  readonly status = 503;
  override readonly expose = false;
}

/**
 * A key that goes into the stack's Keys secret by hand (Slack's signing secret, the conversion
 * webhook's key) is not there yet (shared/stack-keys.ts): the feature is not set up, so 503.
 */
export class KeyNotSetError extends PulsecastError {
  readonly problem = 'key-not-set';
  readonly status = 503;
}

/** An unsubscribe link whose signature does not match its address (shared/notify/unsubscribe.ts). */
export class UnsubscribeSignatureError extends PulsecastError {
  readonly problem = 'bad-unsubscribe-link';
  readonly status = 403;
}
