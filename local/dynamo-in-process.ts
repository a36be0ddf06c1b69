import type { Server } from 'node:http';
import { Readable } from 'node:stream';

/** The part of the SDK's HTTP request the handler reads. */
interface SdkHttpRequest {
  method: string;
  path?: string;
  query?: Record<string, string | (string | null)[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

/** What the SDK takes as an HTTP response (it checks `statusCode` and `headers`). */
interface SdkHttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Readable;
}

/**
 * An AWS SDK request handler that hands each request straight to dynalite's HTTP request
 * listener in this process, instead of over a socket to the port it listens on.
 *
 * dynalite is an `http.Server`; its whole API is its `request` listener, `(req, res)`. Local mode
 * runs it in its own process, so every DynamoDB call of every handler went client → socket →
 * HTTP parser → listener and back: about half of each call's CPU time, and a trip through the
 * event loop each way, for bytes that never leave the process. This handler builds the request
 * the listener reads (method, URL, lower-cased headers, the body as a stream) and a response
 * object with the three things the listener writes (`statusCode`, `setHeader`, `end`), and
 * answers the SDK with what was written: the same status, headers and body, so the SDK
 * deserializes, retries and reports errors exactly as it does over HTTP. The server keeps
 * listening for everything else that reaches DynamoDB by its endpoint (Step Functions tasks,
 * the bench's table scan).
 */
export class InProcessDynaliteHandler {
  readonly metadata = { handlerProtocol: 'http/1.1' };

  constructor(private readonly server: Server) {}

  async handle(request: SdkHttpRequest): Promise<{ response: SdkHttpResponse }> {
    const body = await requestBody(request.body);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
    headers['content-length'] = String(body.length);
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(request.query ?? {})) {
      for (const one of [value ?? ''].flat()) query.append(name, one ?? '');
    }
    const search = query.size > 0 ? `?${query}` : '';
    const incoming = Object.assign(Readable.from(body.length > 0 ? [body] : []), {
      method: request.method,
      url: `${request.path || '/'}${search}`,
      headers,
    });
    return new Promise((resolve, reject) => {
      const written: Record<string, string> = {};
      const outgoing = {
        statusCode: 200,
        contentType: undefined as string | undefined,
        shouldKeepAlive: true,
        setHeader(name: string, value: string | number) {
          written[name.toLowerCase()] = String(value);
        },
        end(chunk?: string | Buffer) {
          const bytes = chunk === undefined ? Buffer.alloc(0) : Buffer.from(chunk);
          resolve({
            response: {
              statusCode: outgoing.statusCode,
              headers: written,
              body: Readable.from(bytes.length > 0 ? [bytes] : []),
            },
          });
        },
      };
      try {
        this.server.emit('request', incoming, outgoing);
      } catch (error) {
        reject(error);
      }
    });
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {}
}

async function requestBody(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}
