import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isLoopback, regionFromHost, resolveRegion } from '../../local/cli/api-url.ts';
import {
  type AwsCredentials,
  buildRequest,
  type OutgoingRequest,
  signRequest,
} from '../../local/cli/sigv4.ts';
import { releasedAfterEach } from '../support/per-test.ts';
import { runPulsecast, startFakeApi } from './fake-api.ts';

const CREDENTIALS: AwsCredentials = { accessKeyId: 'AKID', secretAccessKey: 'fake-secret-key' };
const FIXED_NOW = new Date('2025-03-04T09:08:07.000Z');
const API_URL = new URL('https://abc123.execute-api.eu-west-1.amazonaws.com/prod');
const BODY = new TextEncoder().encode('id,channel,scheduled_at,text\np-1,x-main,2025-03-04T09:00:00Z,Hi\n');

/**
 * An independent SigV4 implementation (AWS's documented algorithm, straight from node:crypto):
 * if it computes the same signature from what was sent, the signer covered the path, the query
 * string, the signed headers and the body hash.
 */
function expectedSignature(request: OutgoingRequest, credentials: AwsCredentials, region: string): string {
  const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const encode = (s: string) =>
    encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

  const authorization = request.headers.authorization ?? '';
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
  const headers: Record<string, string> = { ...request.headers, host: request.url.host };
  const amzDate = headers['x-amz-date'] ?? '';
  const scope = `${amzDate.slice(0, 8)}/${region}/execute-api/aws4_request`;
  const canonicalRequest = [
    request.method,
    // Every service but S3 wants each path segment URI-encoded twice.
    request.url.pathname
      .split('/')
      .map((segment) => encode(segment))
      .join('/'),
    [...request.url.searchParams]
      .map(([name, value]) => `${encode(name)}=${encode(value)}`)
      .sort()
      .join('&'),
    ...signedHeaders.map((name) => `${name}:${headers[name]?.trim()}`),
    '',
    signedHeaders.join(';'),
    sha256(request.body ?? ''),
  ].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  let key: Buffer = hmac(`AWS4${credentials.secretAccessKey}`, amzDate.slice(0, 8));
  for (const part of [region, 'execute-api', 'aws4_request']) key = hmac(key, part);
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

function uploadRequest(): OutgoingRequest {
  return buildRequest(API_URL, {
    method: 'POST',
    path: '/v1/calendars',
    query: { dryRun: 'true', dateFormat: 'dd/MM/yyyy HH:mm', channel: undefined },
    body: BODY,
    contentType: 'text/csv',
  });
}

describe('SigV4 signing', () => {
  it('signs for execute-api with the date, the body hash and an Authorization header', async () => {
    const signed = await signRequest(uploadRequest(), {
      region: 'eu-west-1',
      credentials: async () => CREDENTIALS,
      now: () => FIXED_NOW,
    });

    expect(signed.headers['x-amz-date']).toBe('20250304T090807Z');
    expect(signed.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(BODY).digest('hex'));
    expect(signed.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKID\/20250304\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=accept;content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(signed.headers.authorization).toContain(
      `Signature=${expectedSignature(signed, CREDENTIALS, 'eu-west-1')}`,
    );
    // fetch sets Host from the URL; the signed request must not carry a second one.
    expect(signed.headers.host).toBeUndefined();
    expect(signed.url.href).toBe(
      'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/v1/calendars?dryRun=true&dateFormat=dd%2FMM%2Fyyyy%20HH%3Amm',
    );
  });

  it('gives a different signature when the query or the body changes', async () => {
    const sign = (request: OutgoingRequest) =>
      signRequest(request, {
        region: 'eu-west-1',
        credentials: async () => CREDENTIALS,
        now: () => FIXED_NOW,
      });
    const base = uploadRequest();
    const otherQuery = { ...base, url: new URL(`${base.url.href.replace('dryRun=true', 'dryRun=false')}`) };
    const otherBody = { ...base, body: new TextEncoder().encode('tampered') };

    const signatures = await Promise.all(
      [base, otherQuery, otherBody].map(async (r) => (await sign(r)).headers.authorization),
    );

    expect(new Set(signatures).size).toBe(3);
  });

  it('signs a session token as x-amz-security-token', async () => {
    const credentials = { ...CREDENTIALS, sessionToken: 'session-token' };

    const signed = await signRequest(buildRequest(API_URL, { method: 'GET', path: '/v1/posts' }), {
      region: 'eu-west-1',
      credentials: async () => credentials,
      now: () => FIXED_NOW,
    });

    expect(signed.headers['x-amz-security-token']).toBe('session-token');
    expect(signed.headers.authorization).toContain('x-amz-security-token');
    expect(signed.headers.authorization).toContain(
      `Signature=${expectedSignature(signed, credentials, 'eu-west-1')}`,
    );
  });
});

describe('which API is signed, and for which region', () => {
  const startApi = releasedAfterEach(startFakeApi, (api) => api.close());

  it('sends no Authorization header to local mode on loopback', async () => {
    const api = await startApi(() => ({ body: { items: [] } }));

    const result = await api.run(['posts', 'list'], {
      credentials: async () => CREDENTIALS,
      env: { AWS_REGION: 'eu-west-1' },
    });

    expect(result.code).toBe(0);
    expect(api.requests[0]?.headers.authorization).toBeUndefined();
    expect(api.requests[0]?.headers['x-amz-date']).toBeUndefined();
  });

  it('signs what it sends to a deployed API (fetch injected: nothing leaves the machine)', async () => {
    const sent: Request[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      sent.push(new Request(input, init));
      return Response.json({ items: [] });
    };

    const result = await runPulsecast(['posts', 'list', '--status', 'SCHEDULED', '--api', API_URL.href], {
      fetch: recordingFetch,
      credentials: async () => CREDENTIALS,
      now: () => FIXED_NOW,
    });

    expect(result).toEqual({ code: 0, stdout: 'no posts\n', stderr: '' });
    expect(sent[0]?.url).toBe(
      'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/v1/posts?status=SCHEDULED',
    );
    expect(sent[0]?.headers.get('authorization')).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKID\/20250304\/eu-west-1\/execute-api\/aws4_request, /,
    );
    expect(sent[0]?.headers.get('x-amz-date')).toBe('20250304T090807Z');
    expect(sent[0]?.headers.get('x-amz-content-sha256')).toBe(createHash('sha256').update('').digest('hex'));
  });

  it('takes the region from --region, then the execute-api host name, then AWS_REGION / AWS_DEFAULT_REGION', () => {
    expect(resolveRegion('us-west-2', { AWS_REGION: 'us-east-1' }, API_URL)).toBe('us-west-2');
    expect(resolveRegion(undefined, { AWS_REGION: 'us-east-1' }, API_URL)).toBe('eu-west-1');
    const custom = new URL('https://api.example.com');
    expect(
      resolveRegion(undefined, { AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'ap-south-1' }, custom),
    ).toBe('us-east-1');
    expect(resolveRegion(undefined, { AWS_DEFAULT_REGION: 'ap-south-1' }, custom)).toBe('ap-south-1');
    expect(regionFromHost('x.execute-api.cn-north-1.amazonaws.com.cn')).toBe('cn-north-1');
    expect(resolveRegion(undefined, {}, custom)).toBeUndefined();
  });

  it('refuses to sign for a custom domain whose region it cannot tell', async () => {
    const result = await runPulsecast(['health', '--api', 'https://api.example.com'], {
      credentials: async () => CREDENTIALS,
      fetch: async () => Response.json({}),
    });

    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: cannot tell which AWS region https://api.example.com is in: pass --region or set AWS_REGION\n',
    });
  });

  it('explains a missing credential instead of printing the SDK stack', async () => {
    const result = await runPulsecast(['health', '--api', API_URL.href], {
      credentials: async () => {
        throw new Error('Could not load credentials from any providers');
      },
      fetch: async () => Response.json({}),
    });

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: cannot sign the request to ${API_URL.href} (a deployed API needs AWS credentials): Could not load credentials from any providers\n`,
    );
  });

  it('treats localhost, 127.0.0.0/8 and ::1 as loopback', () => {
    for (const url of [
      'http://localhost:3000',
      'http://127.0.0.1:3000',
      'http://127.1.2.3',
      'http://[::1]:3000',
    ]) {
      expect(isLoopback(new URL(url)), url).toBe(true);
    }
    for (const url of [
      'http://10.0.0.1',
      'https://abc.execute-api.eu-west-1.amazonaws.com',
      'http://localhost.evil.com',
    ]) {
      expect(isLoopback(new URL(url)), url).toBe(false);
    }
  });
});
