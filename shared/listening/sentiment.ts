import Sentiment from 'sentiment';

/**
 * Sentiment of a mention from a lexicon: the `sentiment` package (AFINN-165 word valences from
 * −5 to +5, with negation handling and emoji valences). It ships English only; other languages
 * can be added with `registerLanguage`, and a text in another language mostly scores 0 (neutral),
 * so the negative share of a non-English conversation is understated, never invented.
 */
const analyzer = new Sentiment();

export interface SentimentScore {
  /** Sum of the valences of the words found (negative: more negative than positive words). */
  score: number;
  /** `score` per word of the text. */
  comparative: number;
}

export function sentimentOf(text: string): SentimentScore {
  const result = analyzer.analyze(text);
  return { score: result.score, comparative: Math.round(result.comparative * 1000) / 1000 };
}

/** A mention counts as negative when its words lean negative. */
export function isNegative(sentiment: SentimentScore): boolean {
  return sentiment.score < 0;
}
