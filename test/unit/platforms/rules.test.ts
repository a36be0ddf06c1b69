import twitterText from 'twitter-text';
import { describe, expect, it } from 'vitest';
import { PLATFORMS } from '../../../shared/domain/index.ts';
import {
  composePublishedText,
  measureText,
  PLATFORM_RULES,
  validatePostForPlatform,
} from '../../../shared/platforms/rules.ts';

const FAMILY = '👨\u200D👩\u200D👧'; // one emoji on screen, 5 code points, 18 UTF-8 bytes
const IMAGE = 'https://cdn.example.com/image.png';
const LONG_URL = `https://example.com/${'path/'.repeat(20)}`;

function errors(...args: Parameters<typeof validatePostForPlatform>) {
  return validatePostForPlatform(...args).filter((finding) => finding.severity === 'error');
}

describe('PLATFORM_RULES', () => {
  it('has rules for every platform', () => {
    for (const platform of PLATFORMS) expect(PLATFORM_RULES[platform].platform).toBe(platform);
  });

  it('carries the documented limits', () => {
    expect(PLATFORM_RULES.x).toMatchObject({ textLimit: 280, maxMedia: 4, linkInText: true });
    expect(PLATFORM_RULES.bluesky).toMatchObject({ textLimit: 300, maxMedia: 4, linkInText: true });
    expect(PLATFORM_RULES.mastodon).toMatchObject({ textLimit: 500, maxMedia: 4, linkInText: true });
    expect(PLATFORM_RULES.linkedin).toMatchObject({ textLimit: 3000, linkInText: false });
    expect(PLATFORM_RULES.facebook).toMatchObject({ textLimit: 63_206, linkInText: false });
    expect(PLATFORM_RULES.instagram).toMatchObject({ textLimit: 2200, maxMedia: 10, requiresMedia: true });
    expect(PLATFORM_RULES.threads).toMatchObject({ textLimit: 500, maxMedia: 20, linkInText: true });
  });
});

describe('measureText', () => {
  describe('on X (twitter-text weighted length)', () => {
    it('counts Latin letters 1, emoji and CJK 2, any URL 23', () => {
      expect(measureText('x', 'hello')).toEqual({ length: 5, limit: 280, unit: 'characters' });
      expect(measureText('x', '😀').length).toBe(2);
      expect(measureText('x', '日本').length).toBe(4);
      expect(measureText('x', LONG_URL).length).toBe(23);
      expect(measureText('x', 'https://t.co').length).toBe(23);
    });

    it('counts a ZWJ family as one emoji and NFC-normalises combining marks', () => {
      expect(measureText('x', FAMILY).length).toBe(2);
      expect(measureText('x', 'e\u0301').length).toBe(1);
    });
  });

  describe('on Bluesky', () => {
    it('counts graphemes: a ZWJ family, a flag and a combined accent are one each', () => {
      expect(measureText('bluesky', `${FAMILY}🇩🇪e\u0301a`).length).toBe(4);
    });
  });

  describe('on Mastodon', () => {
    it('counts graphemes with every link as 23 and remote mentions by their user part', () => {
      expect(measureText('mastodon', `${LONG_URL} hi`).length).toBe(26);
      expect(measureText('mastodon', 'https://a.co').length).toBe(23);
      expect(measureText('mastodon', '@alice@mastodon.social hi').length).toBe(9);
      expect(measureText('mastodon', `${FAMILY}😀`).length).toBe(2);
    });

    it('does not treat a bare domain as a link (Mastodon needs the protocol)', () => {
      expect(measureText('mastodon', 'example.com').length).toBe(11);
    });

    it("uses the server's own limit and URL length", () => {
      expect(
        measureText('mastodon', LONG_URL, { maxCharacters: 1000, charactersReservedPerUrl: 30 }),
      ).toEqual({
        length: 30,
        limit: 1000,
        unit: 'characters',
      });
    });

    it('counts a link right after emoji correctly (UTF-16 indices)', () => {
      expect(measureText('mastodon', `😀😀 ${LONG_URL}`).length).toBe(2 + 1 + 23);
    });
  });

  describe('on Threads', () => {
    it('counts emoji as their UTF-8 bytes and other characters as 1', () => {
      expect(measureText('threads', '😀').length).toBe(4);
      expect(measureText('threads', FAMILY).length).toBe(18);
      expect(measureText('threads', '🇩🇪').length).toBe(8);
      expect(measureText('threads', '日本語').length).toBe(3);
      expect(measureText('threads', 'é').length).toBe(1);
    });
  });

  describe('on LinkedIn, Facebook and Instagram', () => {
    it('counts UTF-16 units, so an emoji counts 2', () => {
      expect(measureText('linkedin', 'a😀').length).toBe(3);
      expect(measureText('facebook', '日本').length).toBe(2);
      expect(measureText('instagram', FAMILY).length).toBe(8);
    });
  });
});

describe('composePublishedText', () => {
  it('appends the link where the platform has no link field', () => {
    expect(composePublishedText('x', 'Read this', 'https://e.com')).toBe('Read this https://e.com');
    expect(composePublishedText('bluesky', 'Read this\n', 'https://e.com')).toBe('Read this\nhttps://e.com');
    expect(composePublishedText('mastodon', '', 'https://e.com')).toBe('https://e.com');
    expect(composePublishedText('threads', 'Read', 'https://e.com')).toBe('Read https://e.com');
  });

  it('does not repeat a link already in the text', () => {
    expect(composePublishedText('x', 'See https://e.com now', 'https://e.com')).toBe('See https://e.com now');
  });

  it('leaves the text alone where the link has its own field, or there is no link', () => {
    expect(composePublishedText('linkedin', 'Read this', 'https://e.com')).toBe('Read this');
    expect(composePublishedText('facebook', 'Read this', 'https://e.com')).toBe('Read this');
    expect(composePublishedText('instagram', 'Read this', 'https://e.com')).toBe('Read this');
    expect(composePublishedText('x', 'Read this')).toBe('Read this');
  });
});

describe('validatePostForPlatform', () => {
  describe('text length at the edges', () => {
    const cases: { platform: (typeof PLATFORMS)[number]; atLimit: string; overLimit: string }[] = [
      { platform: 'x', atLimit: 'a'.repeat(280), overLimit: 'a'.repeat(281) },
      { platform: 'x', atLimit: '😀'.repeat(140), overLimit: `${'😀'.repeat(140)}a` },
      { platform: 'x', atLimit: '日'.repeat(140), overLimit: '日'.repeat(141) },
      {
        platform: 'x',
        atLimit: `${'a'.repeat(256)} ${LONG_URL}`,
        overLimit: `${'a'.repeat(257)} ${LONG_URL}`,
      },
      { platform: 'x', atLimit: FAMILY.repeat(140), overLimit: `${FAMILY.repeat(140)}a` },
      { platform: 'bluesky', atLimit: 'a'.repeat(300), overLimit: 'a'.repeat(301) },
      { platform: 'bluesky', atLimit: 'e\u0301'.repeat(300), overLimit: 'e\u0301'.repeat(301) },
      { platform: 'bluesky', atLimit: '日'.repeat(300), overLimit: '日'.repeat(301) },
      { platform: 'mastodon', atLimit: 'a'.repeat(500), overLimit: 'a'.repeat(501) },
      {
        platform: 'mastodon',
        atLimit: `${'a'.repeat(476)} ${LONG_URL}`,
        overLimit: `${'a'.repeat(477)} ${LONG_URL}`,
      },
      { platform: 'mastodon', atLimit: FAMILY.repeat(500), overLimit: FAMILY.repeat(501) },
      { platform: 'threads', atLimit: 'a'.repeat(500), overLimit: 'a'.repeat(501) },
      { platform: 'threads', atLimit: `${'a'.repeat(496)}😀`, overLimit: `${'a'.repeat(497)}😀` },
      {
        platform: 'threads',
        atLimit: `${'a'.repeat(482)}${FAMILY}`,
        overLimit: `${'a'.repeat(483)}${FAMILY}`,
      },
      { platform: 'linkedin', atLimit: 'a'.repeat(3000), overLimit: 'a'.repeat(3001) },
      { platform: 'linkedin', atLimit: '😀'.repeat(1500), overLimit: `${'😀'.repeat(1500)}a` },
      { platform: 'facebook', atLimit: 'a'.repeat(63_206), overLimit: 'a'.repeat(63_207) },
      { platform: 'instagram', atLimit: 'a'.repeat(2200), overLimit: 'a'.repeat(2201) },
    ];

    for (const { platform, atLimit, overLimit } of cases) {
      it(`accepts exactly the limit on ${platform} and refuses one more (${[...atLimit][0]}…)`, () => {
        const media = platform === 'instagram' ? [IMAGE] : [];

        expect(errors(platform, { text: atLimit, media })).toEqual([]);
        expect(errors(platform, { text: overLimit, media })).toEqual([
          { column: 'text', severity: 'error', message: expect.stringContaining('shorten it by') },
        ]);
      });
    }
  });

  it('tells a marketer how X counts', () => {
    const text = `${'a'.repeat(267)} ${LONG_URL}`;

    expect(errors('x', { text, media: [] })[0]?.message).toBe(
      'text is 291 of 280 characters on X (weighted: URLs count 23, emoji and CJK characters 2); shorten it by 11',
    );
  });

  it('counts the link that will be appended', () => {
    const findings = errors('x', { text: 'a'.repeat(257), link: 'https://example.com/x', media: [] });

    expect(findings[0]?.message).toMatch(/281 of 280 .*including the link added at the end/);
    expect(errors('x', { text: 'a'.repeat(256), link: 'https://example.com/x', media: [] })).toEqual([]);
    // LinkedIn publishes the link separately, so it does not count.
    expect(errors('linkedin', { text: 'a'.repeat(3000), link: 'https://example.com/x', media: [] })).toEqual(
      [],
    );
  });

  it('applies Bluesky’s byte limit as well as its grapheme limit', () => {
    const atBytes = `${FAMILY.repeat(166)}${'a'.repeat(12)}`; // 2,988 + 12 = 3,000 bytes, 178 graphemes

    expect(errors('bluesky', { text: atBytes, media: [] })).toEqual([]);
    expect(errors('bluesky', { text: `${atBytes}a`, media: [] })).toEqual([
      {
        column: 'text',
        severity: 'error',
        message: expect.stringMatching(/^text is 3,001 bytes on Bluesky, over its limit of 3,000 bytes/),
      },
    ]);
  });

  it('uses a Mastodon server’s own limits', () => {
    expect(errors('mastodon', { text: 'a'.repeat(501), media: [] }, { maxCharacters: 1000 })).toEqual([]);
    expect(
      errors(
        'mastodon',
        { text: `${'a'.repeat(476)} ${LONG_URL}`, media: [] },
        { charactersReservedPerUrl: 24 },
      ),
    ).toHaveLength(1);
    expect(
      errors('mastodon', { text: 'hi', media: Array(6).fill(IMAGE) }, { maxMediaAttachments: 6 }),
    ).toEqual([]);
  });

  it('refuses a post with neither text nor media', () => {
    expect(errors('x', { text: '  ', media: [] })).toEqual([
      {
        column: 'text',
        severity: 'error',
        message: 'the post has no text and no media; X needs at least one of them',
      },
    ]);
    expect(errors('x', { text: '', media: [IMAGE] })).toEqual([]);
  });

  describe('media', () => {
    it('accepts up to the platform maximum and refuses one more', () => {
      expect(errors('x', { text: 'hi', media: Array(4).fill(IMAGE) })).toEqual([]);
      expect(errors('x', { text: 'hi', media: Array(5).fill(IMAGE) })).toEqual([
        { column: 'media', severity: 'error', message: 'the post has 5 media items; X allows at most 4' },
      ]);
      expect(errors('instagram', { text: 'hi', media: Array(10).fill(IMAGE) })).toEqual([]);
      expect(errors('instagram', { text: 'hi', media: Array(11).fill(IMAGE) })).toHaveLength(1);
      expect(errors('threads', { text: 'hi', media: Array(20).fill(IMAGE) })).toEqual([]);
      expect(errors('threads', { text: 'hi', media: Array(21).fill(IMAGE) })).toHaveLength(1);
    });

    it('requires at least one image or video on Instagram', () => {
      expect(errors('instagram', { text: 'Caption', media: [] })).toEqual([
        { column: 'media', severity: 'error', message: 'Instagram posts need at least one image or video' },
      ]);
    });

    it('refuses media that is not https, naming the URL', () => {
      expect(errors('bluesky', { text: 'hi', media: ['http://cdn.example.com/a.png'] })).toEqual([
        {
          column: 'media',
          severity: 'error',
          message:
            "media 'http://cdn.example.com/a.png' must be an https:// address (platforms fetch media only over HTTPS)",
        },
      ]);
      expect(errors('x', { text: 'hi', media: ['cdn/a.png'] })[0]?.message).toContain(
        "'cdn/a.png' is not a web address",
      );
    });

    it('refuses a video mixed with images where only 4 images or 1 video are allowed', () => {
      expect(
        errors('x', { text: 'hi', media: [IMAGE, 'https://cdn.example.com/clip.mp4'] })[0]?.message,
      ).toMatch(/4 images or a single video/);
      expect(errors('x', { text: 'hi', media: ['https://cdn.example.com/clip.mp4'] })).toEqual([]);
      expect(errors('linkedin', { text: 'hi', media: [IMAGE, 'https://cdn.example.com/clip.mp4'] })).toEqual(
        [],
      );
    });
  });

  describe('links', () => {
    it('warns that Instagram will not publish or click a link', () => {
      const findings = validatePostForPlatform('instagram', {
        text: 'New drop at https://shop.example.com',
        link: 'https://shop.example.com',
        media: [IMAGE],
      });

      expect(findings).toEqual([
        { column: 'link', severity: 'warning', message: expect.stringContaining('will not be published') },
        { column: 'text', severity: 'warning', message: expect.stringContaining('not clickable') },
      ]);
    });

    it('refuses more than 5 different links on Threads', () => {
      const text = Array.from({ length: 6 }, (_, i) => `https://e${i}.example.com`).join(' ');

      expect(errors('threads', { text, media: [] })).toEqual([
        {
          column: 'text',
          severity: 'error',
          message: 'the post has 6 different links; Threads accepts at most 5',
        },
      ]);
      expect(
        errors('threads', {
          text: text.replace('https://e5.example.com', 'https://e0.example.com'),
          media: [],
        }),
      ).toEqual([]);
    });
  });

  describe('characters X refuses', () => {
    it('refuses a post with a byte-order mark on X, naming it and where it is', () => {
      // prepare: the family emoji is one character on screen, so the mark is the 11th
      const text = `Hello ${FAMILY} wo\uFEFFrld`;

      // act
      const findings = validatePostForPlatform('x', { text, media: [] });

      // assert
      expect(findings).toEqual([
        {
          column: 'text',
          severity: 'error',
          message:
            'contains U+FEFF (ZERO WIDTH NO-BREAK SPACE, the byte-order mark) at character 11, which X refuses; remove it',
        },
      ]);
    });

    it('names every refused character and says so apart from the length', () => {
      const text = `${'a'.repeat(280)}\uFFFE\uFFFF`;

      const messages = errors('x', { text, media: [] }).map((finding) => finding.message);

      expect(messages).toEqual([
        expect.stringMatching(/^text is \d+ of 280 characters on X/),
        'contains U+FFFE (a noncharacter) at character 281 and U+FFFF (a noncharacter) at character 282, which X refuses; remove them',
      ]);
    });

    it('names at most three and counts the rest', () => {
      const text = 'a\uFEFFb\uFEFFc\uFEFFd\uFEFFe\uFEFF';

      const [finding] = errors('x', { text, media: [] });

      expect(finding?.message).toContain('at character 6 and 2 more, which X refuses');
    });

    it('agrees with twitter-text: the library refuses exactly these texts', () => {
      // The verdict is the library's (parseTweet(...).valid is false for them); spot-check both ways.
      for (const text of ['a\uFEFF', 'a\uFFFE', 'a\uFFFF']) {
        expect(twitterText.parseTweet(text).valid).toBe(false);
        expect(errors('x', { text, media: [] })).toHaveLength(1);
      }
      for (const text of ['a\u202Eb', 'a\u200Bb', 'a\u200Db']) {
        expect(twitterText.parseTweet(text).valid).toBe(true);
        expect(errors('x', { text, media: [] })).toEqual([]);
      }
    });

    it('only warns about them on the other platforms, which do not refuse them', () => {
      for (const platform of PLATFORMS.filter((p) => p !== 'x')) {
        const findings = validatePostForPlatform(platform, { text: 'Hi\uFEFF', media: [IMAGE] });

        expect(findings, platform).toEqual([
          {
            column: 'text',
            severity: 'warning',
            message: expect.stringContaining(
              'U+FEFF (ZERO WIDTH NO-BREAK SPACE, the byte-order mark) at character 3',
            ),
          },
        ]);
      }
    });

    it('warns on every platform about a direction override, which X accepts', () => {
      for (const platform of PLATFORMS) {
        const findings = validatePostForPlatform(platform, { text: 'Open \u202Egnp.exe', media: [IMAGE] });

        expect(findings, platform).toEqual([
          {
            column: 'text',
            severity: 'warning',
            message: expect.stringContaining('U+202E (RIGHT-TO-LEFT OVERRIDE) at character 6'),
          },
        ]);
      }
    });

    it('leaves ordinary right-to-left text and its marks alone', () => {
      const text = 'שלום \u200Fעולם\u2067abc\u2069';

      expect(validatePostForPlatform('x', { text, media: [] })).toEqual([]);
    });
  });
});
