import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** Static AWS credentials, as the SDK's providers resolve them. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  expiration?: Date | undefined;
}

/** Same shape as the SDK's credential providers (e.g. `fromNodeProviderChain()`). */
export type CredentialProvider = () => Promise<AwsCredentials>;

/** What a command asks of the API, before it becomes an HTTP request. */
export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The route, e.g. `/v1/posts/launch-1`; path parameters already URI-encoded. */
  path: string;
  /** Parameters left undefined are not sent. */
  query?: Readonly<Record<string, string | undefined>> | undefined;
  body?: Uint8Array | undefined;
  contentType?: string | undefined;
  accept?: string | undefined;
  /** `If-Match`: the version a replace expects to find. */
  ifMatch?: string | undefined;
}

/** A complete HTTP request: what gets signed, and then handed to `fetch`. */
export interface OutgoingRequest {
  method: string;
  url: URL;
  /** Lower-case names. `host` is absent: fetch derives it from the URL. */
  headers: Record<string, string>;
  body?: Uint8Array | undefined;
}

export interface SigningOptions {
  region: string;
  credentials: CredentialProvider;
  /** The signing clock; tests pin it to get reproducible signatures. */
  now?: (() => Date) | undefined;
}

/** Signs a request for API Gateway's IAM authorizer (`execute-api`). */
export type RequestSigner = (request: OutgoingRequest) => Promise<OutgoingRequest>;

/**
 * Joins the API's base URL (which may carry a stage path such as `/prod`) with a route and
 * encodes the query the way SigV4 canonicalises it (RFC 3986), so that the query string that is
 * sent and the one that is signed cannot differ — URLSearchParams would send spaces as `+`.
 */
export function buildRequest(baseUrl: URL, spec: RequestSpec): OutgoingRequest {
  const url = new URL(baseUrl.href);
  url.pathname = `${baseUrl.pathname.replace(/\/+$/, '')}${spec.path}`;
  const pairs = Object.entries(spec.query ?? {})
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${rfc3986(name)}=${rfc3986(value)}`);
  url.search = pairs.length > 0 ? `?${pairs.join('&')}` : '';

  const headers: Record<string, string> = { accept: spec.accept ?? 'application/json' };
  if (spec.contentType !== undefined) headers['content-type'] = spec.contentType;
  if (spec.ifMatch !== undefined) headers['if-match'] = spec.ifMatch;
  return { method: spec.method, url, headers, body: spec.body };
}

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Returns a signer for one API. The signature covers the method, path, query string, the signed
 * headers and the SHA-256 of the body (sent as `x-amz-content-sha256`), so neither the filters
 * nor the uploaded calendar can be altered in transit.
 */
export function createSigner(options: SigningOptions): RequestSigner {
  const signer = new SignatureV4({
    service: 'execute-api',
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
  });
  const now = options.now ?? (() => new Date());

  return async (request) => {
    const signed = await signer.sign(
      {
        method: request.method,
        protocol: request.url.protocol,
        hostname: request.url.hostname,
        path: request.url.pathname,
        query: queryRecord(request.url),
        // The host header must be signed; fetch will send exactly url.host.
        headers: { ...request.headers, host: request.url.host },
        body: request.body,
      },
      { signingDate: now() },
    );
    const { host: _host, ...headers } = signed.headers;
    return { ...request, headers };
  };
}

/** Signs a single request; see {@link createSigner}. */
export function signRequest(request: OutgoingRequest, options: SigningOptions): Promise<OutgoingRequest> {
  return createSigner(options)(request);
}

function queryRecord(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    const existing = query[name];
    query[name] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return query;
}
