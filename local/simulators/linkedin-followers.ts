import { json, type SimContext, SimError, type SimRequest, type SimResponse } from './base.ts';
import { accountFollowers } from './history.ts';

/**
 * LinkedIn's follower count of an organisation:
 * `GET /rest/networkSizes/{organization URN}?edgeType=COMPANY_FOLLOWED_BY_COMPANY` answers
 * `{"firstDegreeSize": n}`. Only the token's own organisation is answered; another one is a 403,
 * an edge type other than followers a 400.
 */
export function networkSize(
  req: SimRequest,
  ctx: SimContext,
  account: { organizationId: string; channel: string },
): SimResponse {
  if (req.query.get('edgeType') !== 'COMPANY_FOLLOWED_BY_COMPANY') {
    throw new SimError(
      json(400, { status: 400, code: 'ILLEGAL_ARGUMENT', message: 'Invalid value for param edgeType' }),
    );
  }
  const urn = req.params.urn ?? '';
  if (urn !== `urn:li:organization:${account.organizationId}`) {
    throw new SimError(
      json(403, {
        status: 403,
        code: 'ACCESS_DENIED',
        message: 'Not enough permissions to access: networkSizes.GET',
      }),
    );
  }
  return json(200, { firstDegreeSize: accountFollowers(ctx, account.organizationId, account.channel) });
}
