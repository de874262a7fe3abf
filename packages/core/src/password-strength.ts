/**
 * Password strength (zxcvbn-ts with its common-password and English dictionaries): a password
 * scoring below MIN_PASSWORD_SCORE (0–4 scale) is refused wherever a password is set, with
 * zxcvbn's own feedback as the reason. The dictionaries load on first use.
 */

import { MIN_PASSWORD_SCORE, PASSWORD_STRENGTH_MAX_CHARS, PASSWORD_STRENGTH_OPTIONS } from "@parley/protocol";
import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import * as common from "@zxcvbn-ts/language-common";
import * as en from "@zxcvbn-ts/language-en";

export { MIN_PASSWORD_SCORE };

let factory: ZxcvbnFactory | undefined;

function zxcvbn(): ZxcvbnFactory {
  factory ??= new ZxcvbnFactory({
    translations: en.translations,
    graphs: common.adjacencyGraphs,
    dictionary: { ...common.dictionary, ...en.dictionary },
    ...PASSWORD_STRENGTH_OPTIONS,
  });
  return factory;
}

export type TPasswordVerdict = { ok: boolean; score: number; message: string };

/**
 * Scores a password; `userInputs` (name, e-mail) count as guessable words. `message` explains a
 * refusal in zxcvbn's words ("This is a top-10 common password. Add more words…").
 */
export function checkPasswordStrength(password: string, userInputs: string[] = []): TPasswordVerdict {
  // Bound the work: zxcvbn's matching grows with length, and 100+ characters are never weak.
  const result = zxcvbn().check(password.slice(0, PASSWORD_STRENGTH_MAX_CHARS), userInputs);
  const ok = result.score >= MIN_PASSWORD_SCORE;
  const parts = [result.feedback.warning, ...result.feedback.suggestions].filter((s): s is string => !!s);
  const message = ok ? "" : `password is too easy to guess${parts.length > 0 ? `: ${parts.join(" ")}` : ""}`;
  return { ok, score: result.score, message };
}
