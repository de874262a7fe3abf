/** ICU message helpers shared by the catalog tests (messages.test.ts, server-errors.test.ts). */
import { type MessageFormatElement, TYPE } from "@formatjs/icu-messageformat-parser";

/** The argument names a message uses ({name}, {count, plural, …}, <tag>…</tag>). */
export function argumentsOf(elements: MessageFormatElement[], into = new Set<string>()): Set<string> {
  for (const el of elements) {
    if (el.type === TYPE.argument || el.type === TYPE.number || el.type === TYPE.date) into.add(el.value);
    if (el.type === TYPE.plural || el.type === TYPE.select) {
      into.add(el.value);
      for (const option of Object.values(el.options)) argumentsOf(option.value, into);
    }
    if (el.type === TYPE.tag) {
      into.add(`<${el.value}>`);
      argumentsOf(el.children, into);
    }
  }
  return into;
}
