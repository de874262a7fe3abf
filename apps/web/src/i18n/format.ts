/**
 * Dates, times, sizes and counts in the user's locale and time zone (both from i18n/request.ts via
 * NextIntlClientProvider): every component formats through this hook, never through
 * `toLocaleString()` (the browser's language and zone) or hand-built strings.
 */
import { useFormatter, useTimeZone, useTranslations } from "next-intl";
import { useMemo } from "react";
import { dayKey } from "~/lib/timeline";

type TWhen = Date | string | number;

export type TFormats = ReturnType<typeof useFormats>;

export function useFormats() {
  const format = useFormatter();
  const timeZone = useTimeZone();
  const t = useTranslations("Format");
  return useMemo(() => {
    const dateTime = (value: TWhen) =>
      format.dateTime(new Date(value), { dateStyle: "medium", timeStyle: "short" });
    return {
      timeZone,
      /** A message's time: "14:05" today, with the date on other days. */
      time(value: TWhen): string {
        const d = new Date(value);
        return dayKey(d, timeZone) === dayKey(new Date(), timeZone)
          ? format.dateTime(d, { hour: "2-digit", minute: "2-digit" })
          : dateTime(d);
      },
      /** A moment in lists and tables ("Dec 6, 2026, 14:05"); "never" when absent. */
      date(value: TWhen | null | undefined): string {
        return value ? dateTime(value) : t("never");
      },
      /** The clock only ("14:05:09"). */
      clock(value: TWhen): string {
        return format.dateTime(new Date(value), { timeStyle: "medium" });
      },
      /** A day separator: "Today", "Yesterday", "Monday, November 23" (+ the year when not this one). */
      day(value: TWhen, now: Date = new Date()): string {
        const d = new Date(value);
        const key = dayKey(d, timeZone);
        if (key === dayKey(now, timeZone)) return t("today");
        if (key === dayKey(new Date(now.getTime() - 86_400_000), timeZone)) return t("yesterday");
        const sameYear = key.slice(0, 4) === dayKey(now, timeZone).slice(0, 4);
        return format.dateTime(d, {
          weekday: "long",
          month: "long",
          day: "numeric",
          ...(sameYear ? {} : { year: "numeric" }),
        });
      },
      /** A reminder's due time: "today at 14:30", "tomorrow at 09:00", "Tue, Dec 8 at 09:00". */
      due(value: TWhen, now: Date = new Date()): string {
        const d = new Date(value);
        const time = format.dateTime(d, { hour: "2-digit", minute: "2-digit" });
        const key = dayKey(d, timeZone);
        if (key === dayKey(now, timeZone)) return t("dueToday", { time });
        if (key === dayKey(new Date(now.getTime() + 86_400_000), timeZone)) return t("dueTomorrow", { time });
        const date = format.dateTime(d, { weekday: "short", month: "short", day: "numeric" });
        return t("dueOn", { date, time });
      },
      /** A count ("1,234"), in the locale's digits and separators. */
      number(n: number): string {
        return format.number(n);
      },
      /** "1.4 MB", "820 KB", "12 bytes" in the locale's digits and unit names (binary units). */
      bytes(bytes: number): string {
        const one = (value: number) =>
          format.number(value, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
        if (bytes >= 1024 ** 3) return t("gb", { value: one(bytes / 1024 ** 3) });
        if (bytes >= 1024 ** 2) return t("mb", { value: one(bytes / 1024 ** 2) });
        if (bytes >= 1024) return t("kb", { value: format.number(Math.round(bytes / 1024)) });
        return t("bytes", { count: bytes });
      },
    };
  }, [format, timeZone, t]);
}
