/**
 * The Posts API's "little" text format: LinkedIn's markup for a post's commentary.
 */

/**
 * Characters the Posts API's "little" text format reserves. Unescaped, LinkedIn reads them as
 * markup and silently cuts the commentary at the first one it cannot parse, yet answers 201.
 */
export const LITTLE_RESERVED = '\\|{}@[]()<>#*_~';
/** `#word` at the start or after a non-word character: a hashtag element, left clickable. */
const HASHTAG_RE = /(^|[^\p{L}\p{N}_&\\])#(?=[\p{L}\p{N}])/u;

/**
 * Escapes text for the Posts API `commentary` (little text format): every reserved character
 * gets a backslash, except the `#` that starts a hashtag, which LinkedIn turns into a hashtag
 * link. URLs are plain text too and are escaped like the rest; LinkedIn stores the unescaped
 * characters, so the published text reads exactly as written.
 */
export function escapeLittleText(text: string): string {
  let out = '';
  let previous = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (char === '#' && HASHTAG_RE.test(`${previous}#${text[i + 1] ?? ''}`)) {
      out += char;
    } else if (LITTLE_RESERVED.includes(char)) {
      out += `\\${char}`;
    } else {
      out += char;
    }
    previous = char;
  }
  return out;
}

/** The inverse of `escapeLittleText` for plain text: what a reader sees. */
export function unescapeLittleText(text: string): string {
  return text.replace(/\\([\\|{}@[\]()<>#*_~])/g, '$1');
}
