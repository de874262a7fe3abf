"use client";

/**
 * Server error texts in the user's language, gettext style: core's ParleyError (and the API's and
 * gateway's internal-error texts) send an English *template* with `{name}` placeholders beside the
 * English message (tRPC `error.data.template`/`params`, the socket's error frame, the SDK's
 * ParleySendError and failed outbox entries). A catalog per non-English language maps each English
 * template to its translation in ICU message syntax (`server-errors/ar.json`); a template the
 * catalog lacks, or an error without one (a network failure, an old server), shows the server's
 * English message. The catalog loads only for a language that needs it.
 *
 * To add a language: add `server-errors/<locale>.json` and its loader below; server-errors.test.ts
 * checks every template in the code has an entry (and nothing else), with the same placeholders.
 */
import IntlMessageFormat from "intl-messageformat";
import { useLocale, useTranslations } from "next-intl";
import { useCallback, useEffect, useMemo, useState } from "react";
import { fieldError } from "~/lib/field-errors";
import type { TLocale } from "./config";
import { errorCatalogLoaders, type TErrorCatalog } from "./error-catalogs";

export type { TErrorCatalog } from "./error-catalogs";

import {
  describeTranslatedIssues,
  fieldIssuesOf,
  type TFieldIssue,
  type TValidationText,
  translateIssue,
} from "./validation";

/** What a server error carries for translation: its English message, template and parameters. */
export type TErrorTexts = {
  message: string;
  template: string | null;
  params: Record<string, string | number> | null;
};

const loaded = new Map<string, TErrorCatalog>();

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function paramsOf(value: unknown): Record<string, string | number> | null {
  return isRecord(value) ? (value as Record<string, string | number>) : null;
}

/**
 * The message, template and params of a thrown or stored error: a tRPC client error (`data`), the
 * SDK's ParleySendError or a failed outbox entry's `error` (own fields); null for anything else.
 */
export function errorTextsOf(error: unknown): TErrorTexts | null {
  if (!isRecord(error) || typeof error.message !== "string") return null;
  const own = typeof error.template === "string" ? error : isRecord(error.data) ? error.data : null;
  const template = own && typeof own.template === "string" ? own.template : null;
  return { message: error.message, template, params: template ? paramsOf(own?.params) : null };
}

/** The template of a refused input, whose `{issues}` lists the field issues (core's parseInput). */
const INVALID_INPUT = "Invalid input: {issues}";

/**
 * `error`'s text in `locale` from `catalog` (null: English): the translated template with its
 * params, else the server's English message, else `fallback` (errors without a message). With
 * `issueText`, a refused input's `{issues}` lists its field issues worded by it.
 */
export function translateError(
  catalog: TErrorCatalog | null,
  locale: string,
  error: unknown,
  fallback?: string,
  issueText?: (issue: TFieldIssue) => string,
): string | undefined {
  const texts = errorTextsOf(error);
  if (!texts) return fallback;
  const translated = catalog && texts.template ? catalog[texts.template] : undefined;
  if (translated === undefined) return texts.message;
  const issues = texts.template === INVALID_INPUT ? fieldIssuesOf(error) : null;
  const params =
    issueText && issues?.length
      ? { ...texts.params, issues: describeTranslatedIssues(issues, issueText) }
      : texts.params;
  try {
    return String(new IntlMessageFormat(translated, locale).format(params ?? {}));
  } catch {
    return texts.message;
  }
}

/** What `useErrorText` returns: with a fallback, always a text. */
export type TErrorTextFn = {
  (error: unknown, fallback: string): string;
  (error: unknown, fallback?: string): string | undefined;
};

/** The user's locale and its server-error catalog (null for English, and until it has loaded). */
function useErrorCatalog(): { catalog: TErrorCatalog | null; locale: string } {
  const locale = useLocale();
  const [catalog, setCatalog] = useState<TErrorCatalog | null>(() => loaded.get(locale) ?? null);
  useEffect(() => {
    const load = errorCatalogLoaders[locale as TLocale];
    if (!load) return setCatalog(null);
    const ready = loaded.get(locale);
    if (ready) return setCatalog(ready);
    let isCurrent = true;
    // A catalog that cannot load (offline before it was cached) leaves the English texts.
    load().then(
      (module) => {
        loaded.set(locale, module.default);
        if (isCurrent) setCatalog(module.default);
      },
      () => {},
    );
    return () => {
      isCurrent = false;
    };
  }, [locale]);
  return { catalog, locale };
}

/** A validation issue in the user's language (validation.ts), from the catalog and `Validation` messages. */
function useIssueText(catalog: TErrorCatalog | null, locale: string): (issue: TFieldIssue) => string {
  const t = useTranslations("Validation");
  return useMemo(() => {
    const text: TValidationText = (key, values) => t(key, values);
    return (issue: TFieldIssue) => translateIssue(issue, { catalog, locale, text });
  }, [catalog, locale, t]);
}

/**
 * `(error, fallback?) => text`: a server error in the user's language (see the header); `fallback`
 * for a value that is not an error with a message. Until a catalog has loaded, English.
 */
export function useErrorText(): TErrorTextFn {
  const { catalog, locale } = useErrorCatalog();
  const issueText = useIssueText(catalog, locale);
  return useCallback(
    ((error: unknown, fallback?: string) =>
      translateError(catalog, locale, error, fallback, issueText)) as TErrorTextFn,
    [catalog, locale, issueText],
  );
}

/**
 * `(error, field) => text`: what a failed call says about one field (lib/field-errors.ts
 * `fieldError`), in the user's language. The one way components show a field's error.
 */
export function useFieldError(): (error: unknown, field: string) => string | undefined {
  const { catalog, locale } = useErrorCatalog();
  const issueText = useIssueText(catalog, locale);
  return useCallback((error: unknown, field: string) => fieldError(error, field, issueText), [issueText]);
}
