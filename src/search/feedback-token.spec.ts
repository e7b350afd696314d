import { checkFeedbackToken, signFeedbackToken } from './feedback-token';

describe('feedback tokens', () => {
  const secret = Buffer.alloc(32, 7);
  const token = signFeedbackToken(secret, 5, 9, 1_000);

  it('accepts the token of the same query and hit before it expires', () => {
    expect(checkFeedbackToken(secret, token, 5, 9, 999)).toBe('valid');
    expect(checkFeedbackToken(secret, token, 5, 9, 1_001)).toBe('expired');
  });

  it('refuses it for another query or hit, another key, a changed expiry, or garbage', () => {
    expect(checkFeedbackToken(secret, token, 5, 10, 0)).toBe('invalid');
    expect(checkFeedbackToken(secret, token, 6, 9, 0)).toBe('invalid');
    expect(checkFeedbackToken(Buffer.alloc(32, 8), token, 5, 9, 0)).toBe('invalid');
    expect(checkFeedbackToken(secret, token.replace(/^1000/, '9000'), 5, 9, 0)).toBe('invalid');
    for (const bad of ['', '.', 'x.y', `${token}x`, '1000.' + 'a'.repeat(43), '\u0000']) expect(checkFeedbackToken(secret, bad, 5, 9, 0)).toBe('invalid');
  });
});
