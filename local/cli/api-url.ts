import { UsageError } from './errors.ts';

const DEFAULT_LOCAL_PORT = '3000';

/**
 * Which API the CLI talks to: `--api`, else `PULSECAST_API_URL`, else local mode on
 * `PULSECAST_PORT` (the same variable `npm start` reads, so both agree without configuration).
 */
export function resolveApiUrl(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): URL {
  const raw = nonEmpty(flag) ?? nonEmpty(env.PULSECAST_API_URL) ?? localModeUrl(env);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`the API URL "${raw}" is not a URL (expected e.g. http://127.0.0.1:3000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`the API URL "${raw}" must be http:// or https://`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new UsageError(`the API URL "${raw}" must not carry a query or fragment`);
  }
  return url;
}

function localModeUrl(env: Readonly<Record<string, string | undefined>>): string {
  return `http://127.0.0.1:${nonEmpty(env.PULSECAST_PORT) ?? DEFAULT_LOCAL_PORT}`;
}

/** The base URL as a user would type it: no trailing slash. */
export function displayUrl(url: URL): string {
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * Local mode listens on loopback and has no IAM in front of it; anything else is taken to be a
 * deployed API Gateway, whose routes require SigV4.
 */
export function isLoopback(url: URL): boolean {
  const host = url.hostname.toLowerCase();
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  );
}

/** `abc123.execute-api.eu-west-1.amazonaws.com` → `eu-west-1` (also the `.com.cn` partition). */
export function regionFromHost(hostname: string): string | undefined {
  const match = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/i.exec(hostname);
  return match?.[1]?.toLowerCase();
}

/**
 * The signing region: `--region`, else the region in an `execute-api` host name (a signature
 * for any other region is refused, whatever the shell's AWS_REGION says), else the AWS
 * environment variables (custom domains).
 */
export function resolveRegion(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  url: URL,
): string | undefined {
  return (
    nonEmpty(flag) ??
    regionFromHost(url.hostname) ??
    nonEmpty(env.AWS_REGION) ??
    nonEmpty(env.AWS_DEFAULT_REGION)
  );
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
