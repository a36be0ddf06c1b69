import { afterEach, describe, expect, it, vi } from 'vitest';
import { recordConversion } from '../../shared/measuring/conversions.ts';
import { MemoryStore } from '../support/memory-store.ts';

const NOW = new Date('2026-12-08T12:00:00.000Z');

describe('recordConversion', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('keeps a conversion whose utm_content can be no post id unattributed, without looking it up', async () => {
    // 2,000 '€' fit the landing URL's 2,048 characters but are 6,000 bytes: over DynamoDB's
    // 2,048-byte partition key limit, which dynalite (counting characters) does not enforce.
    const store = new MemoryStore();
    const getPost = vi.spyOn(store, 'getPost');
    const content = '€'.repeat(2000);

    const result = await recordConversion(
      {
        id: 'order-1',
        value: 10,
        currency: 'EUR',
        landingUrl: `https://shop.example/?utm_content=${content}`,
      },
      { store, now: () => NOW },
    );

    expect(getPost).not.toHaveBeenCalled();
    expect(result).toMatchObject({
      created: true,
      attributed: false,
      reason: `utm_content '${content}' names no post`,
    });
  });
});
