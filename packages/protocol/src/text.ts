/**
 * Text accepted from clients. Every string a client can send (wire frames here, domain inputs in
 * @parley/core's schemas, which tRPC uses) is built on `zText()` / `zLine()`, so no field can
 * forget the rule:
 *
 * - refused everywhere: lone (unpaired) UTF-16 surrogates, which are not Unicode text and which
 *   Postgres and UTF-8 cannot store; C0 control characters other than tab, line feed and carriage
 *   return (U+0000 NUL above all: Postgres text and jsonb cannot hold it), DEL (U+007F) and the
 *   C1 controls (U+0080–U+009F), which are invisible and never typed;
 * - refused in one-line fields (names, topics, status text, file names): line breaks (LF, CR,
 *   U+2028, U+2029), which the UI cannot show in one line.
 *
 * Refused, not silently normalized: a client sending these has a bug (or is hostile), and
 * rewriting what someone wrote would hide it. Well-formed surrogate pairs (emoji, any astral
 * character) are ordinary text and pass. The regexes avoid `String.prototype.isWellFormed` so this
 * package also runs in older browsers.
 */
import { z } from "zod";

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
/** A high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LINE_BREAK = /[\n\r\u2028\u2029]/;

function codePoint(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * Why `value` is not acceptable client text, or null when it is. `oneLine` also refuses line
 * breaks. The message names the character (as U+XXXX) and its position.
 */
export function textProblem(value: string, oneLine = false): string | null {
  const lone = LONE_SURROGATE.exec(value);
  if (lone) {
    return `contains an unpaired UTF-16 surrogate (${codePoint(lone[0])} at position ${lone.index}); send well-formed Unicode`;
  }
  const control = CONTROL.exec(value);
  if (control) {
    return `contains the control character ${codePoint(control[0])} at position ${control.index}, which is not allowed`;
  }
  if (oneLine) {
    const br = LINE_BREAK.exec(value);
    if (br) return `must be a single line (found the line break ${codePoint(br[0])} at position ${br.index})`;
  }
  return null;
}

function textCheck(oneLine: boolean) {
  return z.check<string>((ctx) => {
    const problem = textProblem(ctx.value, oneLine);
    if (problem) ctx.issues.push({ code: "custom", message: problem, input: ctx.value });
  });
}

/** The check `zText()` carries (exported so tests can tell a checked string from a bare one). */
export const TEXT_CHECK = textCheck(false);
/** The check `zLine()` carries. */
export const LINE_CHECK = textCheck(true);

/** A string of well-formed Unicode without control characters (tab, LF and CR allowed). */
export function zText(): z.ZodString {
  return z.string().check(TEXT_CHECK);
}

/** Like `zText()`, on one line: also refuses LF, CR, U+2028 and U+2029 (tab allowed). */
export function zLine(): z.ZodString {
  return z.string().check(LINE_CHECK);
}
