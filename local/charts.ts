import { readFile } from 'node:fs/promises';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { problem } from '../functions/commons/http.ts';
import type { FileChartHost } from '../shared/notify/chart-host.ts';

/**
 * `GET /_local/charts?key=<digest id>/<chart>.png`: the digest charts local mode's Slack messages
 * point at (Slack shows images only by URL; deployed, they are presigned S3 URLs).
 */
export function chartRoute(
  charts: FileChartHost,
): (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2> {
  return async (event) => {
    let png: Buffer;
    try {
      png = await readFile(charts.pathOf(event.queryStringParameters?.key ?? ''));
    } catch {
      return problem(404, 'not-found', 'no such chart: the key names no chart local mode drew');
    }
    return {
      statusCode: 200,
      headers: { 'content-type': 'image/png', 'cache-control': 'max-age=86400' },
      body: png.toString('base64'),
      isBase64Encoded: true,
    };
  };
}
