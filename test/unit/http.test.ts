import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { pathId } from '../../functions/commons/http.ts';
import { BadRequestError } from '../../shared/errors.ts';
import { thrownBy } from '../support/errors.ts';

const event = (pathParameters: Record<string, string>) =>
  ({ pathParameters }) as unknown as APIGatewayProxyEventV2;

const refusal = (run: () => unknown): BadRequestError => thrownBy(BadRequestError, run);

describe('pathId', () => {
  it('decodes a percent-encoded id', () => {
    expect(pathId(event({ id: 'spring%2D2027' }))).toBe('spring-2027');
  });

  it('names the parameter it was asked for in every refusal', () => {
    for (const value of ['%E0%A4%A', 'x'.repeat(65), 'a%20b', '']) {
      const error = refusal(() => pathId(event({ channelId: value }), 'channelId'));
      expect(error.message).toMatch(/^path parameter channelId /);
      expect(error.issues).toEqual([{ column: 'channelId', message: expect.any(String) }]);
    }
  });

  it('states the length limit of an id that is too long', () => {
    expect(refusal(() => pathId(event({ id: 'x'.repeat(2100) }))).message).toBe(
      'path parameter id is 2100 characters long; ids have at most 64',
    );
  });

  it('refuses a missing parameter as empty', () => {
    expect(refusal(() => pathId(event({}))).issues).toEqual([{ column: 'id', message: 'is empty' }]);
  });
});
