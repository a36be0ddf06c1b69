import * as z from 'zod';
import { displayUrl, isLoopback } from './api-url.ts';
import {
  ApiProblemError,
  ApiUnreachableError,
  CliError,
  type Issue,
  type Problem,
  UnexpectedResponseError,
} from './errors.ts';
import { IssueSchema, ProblemSchema } from './responses.ts';
import { buildRequest, type OutgoingRequest, type RequestSigner, type RequestSpec } from './sigv4.ts';

/**
 * API Gateway cuts a request off after 30 s and local mode answers in milliseconds; the timeout
 * only exists so that a dead connection cannot hang a script forever.
 */
const DEFAULT_TIMEOUT_MS = 60_000;

export interface ApiClientOptions {
  baseUrl: URL;
  fetch: typeof fetch;
  /** Present for a deployed API: signs each request just before it is sent. */
  sign?: RequestSigner | undefined;
  timeoutMs?: number | undefined;
}

export interface ApiResponse {
  status: number;
  contentType: string;
  body: Uint8Array;
}

/** Talks to the Pulsecast HTTP API and turns every failure into one of the CLI's errors. */
export class ApiClient {
  readonly baseUrl: URL;
  readonly #fetch: typeof fetch;
  readonly #sign: RequestSigner | undefined;
  readonly #timeoutMs: number;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl;
    this.#fetch = options.fetch;
    this.#sign = options.sign;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Sends a request; resolves with any 2xx answer, throws a `CliError` for everything else. */
  async send(spec: RequestSpec): Promise<ApiResponse> {
    let request = buildRequest(this.baseUrl, spec);
    if (this.#sign) request = await this.#signOrExplain(request);

    let response: Response;
    try {
      response = await this.#fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw this.#unreachable(error);
    }
    const body = new Uint8Array(await response.arrayBuffer());
    const contentType = response.headers.get('content-type') ?? '';
    if (!response.ok) throw new ApiProblemError(response.status, readProblem(response, contentType, body));
    return { status: response.status, contentType, body };
  }

  /** Sends a request and validates its JSON answer against `schema`. */
  async json<T extends z.ZodType>(spec: RequestSpec, schema: T): Promise<z.infer<T>> {
    return this.parse(await this.send(spec), schema, spec);
  }

  /** Validates an answer already received (e.g. one that may also be empty). */
  parse<T extends z.ZodType>(response: ApiResponse, schema: T, spec: RequestSpec): z.infer<T> {
    const where = `${spec.method} ${spec.path}`;
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder().decode(response.body));
    } catch (error) {
      throw new UnexpectedResponseError(
        `${where} did not answer JSON (content-type "${response.contentType}")`,
        {
          cause: error,
        },
      );
    }
    const result = schema.safeParse(value);
    if (!result.success) {
      throw new UnexpectedResponseError(
        `${where} answered in a shape this CLI does not understand:\n${z.prettifyError(result.error)}`,
      );
    }
    return result.data;
  }

  async #signOrExplain(request: OutgoingRequest): Promise<OutgoingRequest> {
    try {
      return await this.#sign!(request);
    } catch (error) {
      // Typically the provider chain found no credentials; the SDK's message says where it looked.
      throw new CliError(
        `cannot sign the request to ${displayUrl(this.baseUrl)} (a deployed API needs AWS credentials): ${messageOf(error)}`,
        { cause: error },
      );
    }
  }

  #unreachable(error: unknown): CliError {
    const url = displayUrl(this.baseUrl);
    if (error instanceof Error && error.name === 'TimeoutError') {
      return new ApiUnreachableError(`the API at ${url} did not answer within ${this.#timeoutMs / 1000} s`, {
        cause: error,
      });
    }
    const code = networkErrorCode(error);
    if (code === 'ECONNREFUSED' && isLoopback(this.baseUrl)) {
      return new ApiUnreachableError(`no Pulsecast API at ${url} — start local mode with \`npm start\``, {
        cause: error,
      });
    }
    return new ApiUnreachableError(`cannot reach the Pulsecast API at ${url} (${code ?? messageOf(error)})`, {
      cause: error,
    });
  }
}

/**
 * Reads an error answer. Pulsecast answers `application/problem+json`; anything in front of it
 * (API Gateway, a proxy) may answer `{ "message": ... }` or plain text, which is shown as is.
 */
function readProblem(response: Response, contentType: string, body: Uint8Array): Problem {
  const text = new TextDecoder().decode(body).trim();
  const fallbackTitle = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  if (/json/i.test(contentType)) {
    const parsed = ProblemSchema.safeParse(safeJsonParse(text));
    if (parsed.success) {
      const problem = parsed.data;
      return {
        type: problem.type,
        title: problem.title ?? fallbackTitle,
        status: problem.status ?? response.status,
        detail: problem.detail ?? problem.message,
        errors: problem.errors?.map(toIssue),
        body: parsed.data,
      };
    }
  }
  return {
    title: fallbackTitle,
    status: response.status,
    detail: text === '' ? undefined : text.slice(0, 500),
  };
}

function toIssue(entry: unknown): Issue {
  const parsed = IssueSchema.safeParse(entry);
  return parsed.success ? parsed.data : { message: JSON.stringify(entry) };
}

function safeJsonParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Node's fetch wraps the socket error: `TypeError('fetch failed', { cause: { code } })`. */
function networkErrorCode(error: unknown): string | undefined {
  const cause = error instanceof Error ? error.cause : undefined;
  // Happy eyeballs (e.g. `localhost` → ::1 and 127.0.0.1) fails with an AggregateError.
  return codeOf(cause) ?? (cause instanceof AggregateError ? codeOf(cause.errors[0]) : undefined);
}

function codeOf(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null && 'code' in value && typeof value.code === 'string'
    ? value.code
    : undefined;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
