import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { checkFeedbackToken, FeedbackTokenCheck, signFeedbackToken } from './feedback-token';

// Long enough to look at a page of hits and mark them; short enough that a leaked token soon dies.
export const FEEDBACK_TOKEN_TTL_MS = 60 * 60 * 1000;

/** Signs and checks feedback tokens with a key drawn at start-up (a restart invalidates open result pages). */
@Injectable()
export class FeedbackTokens {
  private readonly secret = randomBytes(32);

  sign(queryLesionId: number, hitLesionId: number, nowMs = Date.now()): string {
    return signFeedbackToken(this.secret, queryLesionId, hitLesionId, nowMs + FEEDBACK_TOKEN_TTL_MS);
  }

  check(token: string, queryLesionId: number, hitLesionId: number, nowMs = Date.now()): FeedbackTokenCheck {
    return checkFeedbackToken(this.secret, token, queryLesionId, hitLesionId, nowMs);
  }
}
