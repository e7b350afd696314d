/**
 * Tokens of free text (report sentences, tag queries) with their character positions, so that a caller
 * (the term matcher, report mining, the query parser) can map anything it finds back to the text.
 */
export interface TextToken {
  /** The text as written. */
  text: string;
  /** Lower-cased text. */
  lower: string;
  kind: 'word' | 'number' | 'punct';
  /** Character offsets in the input: text.slice(start, end) === this.text. */
  start: number;
  end: number;
  /** What lies between the previous token and this one ('' for the first token or when adjacent). */
  gapBefore: string;
}

// Words are runs of letters (any script); numbers keep a decimal part; any other visible character is punctuation.
const TOKEN = /(\p{L}+)|(\d+(?:[.,]\d+)?)|([^\s\p{L}\d])/gu;

export function tokenize(text: string): TextToken[] {
  const tokens: TextToken[] = [];
  let previousEnd = 0;
  for (const match of text.matchAll(TOKEN)) {
    const start = match.index!;
    const value = match[0];
    const kind = match[1] ? 'word' : match[2] ? 'number' : 'punct';
    // A hyphen or slash joins words ("wedge-shaped"); it is recorded in gapBefore rather than as a token.
    if (kind === 'punct' && (value === '-' || value === '/')) continue;
    tokens.push({ text: value, lower: value.toLowerCase(), kind, start, end: start + value.length, gapBefore: text.slice(previousEnd, start) });
    previousEnd = start + value.length;
  }
  return tokens;
}

/** True when two word tokens are written as one phrase: separated only by spaces, or a hyphen. */
export function continuesPhrase(token: TextToken): boolean {
  return /^\s*(?:-\s*)?$/.test(token.gapBefore);
}

/** True when the two tokens are written as one hyphenated word ("wedge-shaped", "para-aortic"). */
export function isHyphenJoined(token: TextToken): boolean {
  return token.gapBefore === '-';
}
