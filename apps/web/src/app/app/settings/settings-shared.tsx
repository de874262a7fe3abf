"use client";

/** Small pieces the settings sections share: dates, and a secret shown once with a copy button. */
import { useTranslations } from "next-intl";
import { useState } from "react";
import { useFormats } from "~/i18n/format";

/** A moment in the user's locale and time zone (i18n/format.ts); "never" when absent. */
export function When({ value }: { value: Date | string | null | undefined }) {
  return <>{useFormats().date(value)}</>;
}

/** A secret or link shown once, with a copy button. */
export function CopyValue({ label, value }: { label: string; value: string }) {
  const t = useTranslations("Settings");
  const [copied, setCopied] = useState(false);
  const id = `copy-${label.replace(/\W+/g, "-").toLowerCase()}`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="row">
        <input
          id={id}
          type="text"
          readOnly
          value={value}
          className="secret"
          onFocus={(e) => e.target.select()}
        />
        <button
          type="button"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(value);
              setCopied(true);
            } catch {
              setCopied(false);
            }
          }}
        >
          {copied ? t("copied") : t("copy")}
        </button>
      </div>
    </div>
  );
}
