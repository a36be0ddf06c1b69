import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from '../../functions/commons/http.ts';
import { type LocalApi, startLocalApi } from '../../local/server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let api: LocalApi;

beforeAll(async () => {
  api = await startLocalApi({
    port: 0,
    root: ROOT,
    groups: [],
    localRoutes: {
      'GET /ping': async () => json(200, { pong: true }),
      'GET /echo': async (event) => json(200, event.queryStringParameters ?? {}),
    },
  });
});
afterAll(async () => {
  await api.stop();
});

/** Sends raw bytes and returns everything the server answers before it closes the connection. */
function rawExchange(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(Number(new URL(api.url).port), '127.0.0.1', () => socket.write(request));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('local API server: requests that never become one', () => {
  it('answers headers over 16 KB with a 431 problem', async () => {
    const response = await fetch(`${api.url}/ping`, { headers: { 'x-large': 'a'.repeat(20 * 1024) } });

    expect(response.status).toBe(431);
    expect(response.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(await response.json()).toEqual({
      type: 'urn:pulsecast:problem:request-header-fields-too-large',
      title: 'request header fields too large',
      status: 431,
      detail: "the request's headers are over 16384 bytes",
    });
  });

  it('answers bytes that are not HTTP with a 400 problem', async () => {
    const answer = await rawExchange('NOT HTTP AT ALL\r\n\r\n');

    const [head, body] = answer.split('\r\n\r\n') as [string, string];
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(head).toContain('content-type: application/problem+json; charset=utf-8');
    expect(JSON.parse(body)).toMatchObject({ type: 'urn:pulsecast:problem:bad-request', status: 400 });
  });

  it('goes on serving after refusing them', async () => {
    await fetch(`${api.url}/ping`, { headers: { 'x-large': 'a'.repeat(64 * 1024) } });

    const response = await fetch(`${api.url}/ping`, { headers: { 'x-small': 'a'.repeat(8 * 1024) } });

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ pong: true });
  });
});

describe('local API server: query strings', () => {
  it('passes parameters named like Object members through as they are, joining repeats as API Gateway does', async () => {
    const answer = await fetch(`${api.url}/echo?constructor=a&toString=b&toString=c&__proto__=d`);
    expect(await answer.json()).toEqual({ constructor: 'a', toString: 'b,c', ['__proto__']: 'd' });
  });
});
