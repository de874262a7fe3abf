"use client";

/**
 * A fenced code block in a message. It renders at once as plain `<pre><code>` and, when its
 * language is one we highlight, swaps in shiki's tokens once they arrive (lib/highlight.ts loads
 * shiki on the first such block). Both forms are the same `pre` box with the same font and line
 * breaks, so the row's height does not change when highlighting lands late (the message list is
 * virtualized: a row that grew above the viewport would move what the reader sees). Long lines
 * scroll sideways inside the block; blocks over COLLAPSE_AFTER lines show COLLAPSED_LINES and a
 * "Show more" button. Highlighted output is a hast tree rendered as React elements: no HTML string.
 */
import { toJsxRuntime } from "hast-util-to-jsx-runtime";
import { useTranslations } from "next-intl";
import { type ReactNode, useEffect, useState } from "react";
import { Fragment, jsx, jsxs } from "react/jsx-runtime";
import { highlightToHast, languageOf } from "~/lib/highlight";

/** Blocks longer than this many lines start collapsed. */
export const COLLAPSE_AFTER = 25;
/** Lines a collapsed block shows (globals.css `.code-block.is-collapsed`). */
export const COLLAPSED_LINES = 15;

/** One fenced code block: `info` is the fence's language (`ts` of ```ts), `code` its text. */
export function CodeBlock({ info, code }: { info: string | undefined; code: string }) {
  const t = useTranslations("Message");
  const language = languageOf(info);
  const [highlighted, setHighlighted] = useState<{ code: string; node: ReactNode } | null>(null);
  const [isExpanded, setExpanded] = useState(false);
  const lineCount = code.split("\n").length;
  const isLong = lineCount > COLLAPSE_AFTER;

  useEffect(() => {
    if (!language) return;
    let isCurrent = true;
    highlightToHast(code, language)
      .then((tree) => {
        if (isCurrent) setHighlighted({ code, node: toJsxRuntime(tree, { Fragment, jsx, jsxs }) });
      })
      .catch(() => {
        // Plain text stays: highlighting is a nicety (e.g. a chunk failed to load offline).
      });
    return () => {
      isCurrent = false;
    };
  }, [code, language]);

  const isHighlighted = highlighted !== null && highlighted.code === code;
  return (
    <div
      className={`code-block${isLong && !isExpanded ? " is-collapsed" : ""}`}
      data-language={language ?? undefined}
      data-highlighted={isHighlighted ? "true" : undefined}
    >
      {isHighlighted ? (
        highlighted.node
      ) : (
        <pre>
          <code>{code}</code>
        </pre>
      )}
      {isLong ? (
        <button type="button" className="link code-toggle" onClick={() => setExpanded((v) => !v)}>
          {isExpanded ? t("showLess") : t("showMore", { count: lineCount })}
        </button>
      ) : null}
    </div>
  );
}
