import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedAnswer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

/**
 * A stand-in for Slack's incoming-webhook endpoint on 127.0.0.1: answers from a script (then
 * 200 "ok"), and records every request it got. Test equipment only.
 */
export class FakeSlack {
  readonly requests: { path: string; body: unknown }[] = [];
  script: ScriptedAnswer[] = [];
  /** Answer every request with this once the script is used up (default: 200 ok). */
  otherwise: ScriptedAnswer = { status: 200, body: 'ok' };
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // keep the text
        }
        this.requests.push({ path: request.url ?? '', body });
        const answer = this.script.shift() ?? this.otherwise;
        response.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
        response.end(answer.body ?? (answer.status === 200 ? 'ok' : 'error'));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  /** A webhook URL on this server, with a secret-looking path. */
  webhook(name = 'alerts'): string {
    return `${this.url}/services/T000/B000/${name}-s3cr3t-token`;
  }

  reset(): void {
    this.requests.length = 0;
    this.script = [];
    this.otherwise = { status: 200, body: 'ok' };
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
