/**
 * The same zxcvbn-ts check the server runs (score ≥ 3 accepted), for the strength meter while
 * typing. The dictionaries (~1.5 MB) load only when a password field is first used.
 */
import type { ZxcvbnFactory } from "@zxcvbn-ts/core";

let loading: Promise<ZxcvbnFactory> | undefined;

function load(): Promise<ZxcvbnFactory> {
  loading ??= Promise.all([
    import("@zxcvbn-ts/core"),
    import("@zxcvbn-ts/language-common"),
    import("@zxcvbn-ts/language-en"),
  ]).then(
    ([core, common, en]) =>
      new core.ZxcvbnFactory({
        translations: en.translations,
        graphs: common.adjacencyGraphs,
        dictionary: { ...common.dictionary, ...en.dictionary },
      }),
  );
  return loading;
}

export type TStrength = { score: 0 | 1 | 2 | 3 | 4; ok: boolean; feedback: string };

/** Scores `password` (the server refuses a score below 3). */
export async function passwordStrength(password: string, userInputs: string[] = []): Promise<TStrength> {
  const result = (await load()).check(password.slice(0, 100), userInputs);
  const feedback = [result.feedback.warning, ...result.feedback.suggestions].filter(Boolean).join(" ");
  return { score: result.score, ok: result.score >= 3, feedback };
}
