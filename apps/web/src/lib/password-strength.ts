/**
 * The same zxcvbn-ts check the server runs (score ≥ 3 accepted), for the strength meter while
 * typing. The dictionaries (~1.5 MB) load only when a password field is first used.
 *
 * Feedback comes back as message keys, not zxcvbn's English sentences: its translations are set
 * to each entry's own key (`warnings.topTen`, `suggestions.useWords`, …), and the meter words them
 * through next-intl (`Account.passwordFeedback.*` in every language's messages).
 */
import { MIN_PASSWORD_SCORE, PASSWORD_STRENGTH_MAX_CHARS, PASSWORD_STRENGTH_OPTIONS } from "@parley/protocol";
import type { ZxcvbnFactory } from "@zxcvbn-ts/core";

let loading: Promise<ZxcvbnFactory> | undefined;

/** zxcvbn's translation table with every text replaced by its own `group.key`. */
export function keysAsTranslations<T extends Record<string, Record<string, string>>>(table: T): T {
  return Object.fromEntries(
    Object.entries(table).map(([group, entries]) => [
      group,
      Object.fromEntries(Object.keys(entries).map((key) => [key, `${group}.${key}`])),
    ]),
  ) as T;
}

function load(): Promise<ZxcvbnFactory> {
  loading ??= Promise.all([
    import("@zxcvbn-ts/core"),
    import("@zxcvbn-ts/language-common"),
    import("@zxcvbn-ts/language-en"),
  ]).then(
    ([core, common, en]) =>
      new core.ZxcvbnFactory({
        translations: keysAsTranslations(en.translations),
        graphs: common.adjacencyGraphs,
        dictionary: { ...common.dictionary, ...en.dictionary },
        ...PASSWORD_STRENGTH_OPTIONS,
      }),
  );
  return loading;
}

/** `feedback`: message keys under `Account.passwordFeedback` (a warning first, then suggestions). */
export type TStrength = { score: 0 | 1 | 2 | 3 | 4; ok: boolean; feedback: string[] };

/** Scores `password` (the server refuses a score below MIN_PASSWORD_SCORE). */
export async function passwordStrength(password: string, userInputs: string[] = []): Promise<TStrength> {
  const result = (await load()).check(password.slice(0, PASSWORD_STRENGTH_MAX_CHARS), userInputs);
  const feedback = [result.feedback.warning, ...result.feedback.suggestions].filter(
    (key): key is string => !!key,
  );
  return { score: result.score, ok: result.score >= MIN_PASSWORD_SCORE, feedback };
}
