import { fromEnv } from '@aws-sdk/credential-provider-env';
import type { AwsCredentialIdentityProvider } from '@smithy/types';

/**
 * Bundled in place of `@aws-sdk/credential-provider-node` (infra/bundling.ts): inside Lambda the
 * execution role's credentials are always in the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) for the life of the execution environment, so the
 * rest of the default chain is dead weight there. Only the bundles use this module; local mode
 * and the tests run the SDK's own chain.
 */
export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}): AwsCredentialIdentityProvider =>
  fromEnv(init);
