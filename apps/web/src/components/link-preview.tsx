"use client";

/**
 * The link preview under a message (`message.preview`, fetched by the server's previewer): site
 * name, title (a link to the page, opened in a new tab without referrer), description — all plain
 * text from the page's metadata, which React escapes. The page's image is not shown: the CSP's
 * img-src is Parley's own origin (and storage), and the server does not proxy third-party images
 * (SECURITY.md, "Link previews"). The sender may remove it.
 */
import type { TLinkPreview } from "@parley/protocol";
import { useTranslations } from "next-intl";
import { safeUrl } from "./message-body";

/** One preview card; `onRemove` only for the message's sender. */
export function LinkPreviewCard({ preview, onRemove }: { preview: TLinkPreview; onRemove?: () => void }) {
  const t = useTranslations("Message");
  const href = safeUrl(preview.url);
  const host = (() => {
    try {
      return new URL(preview.url).hostname;
    } catch {
      return "";
    }
  })();
  return (
    <aside className="link-preview" aria-label={t("linkPreview")}>
      <div className="link-preview-site">{preview.siteName ?? host}</div>
      {preview.title ? (
        <div className="link-preview-title">
          {href ? (
            <a href={href} target="_blank" rel="noopener noreferrer nofollow">
              {preview.title}
            </a>
          ) : (
            preview.title
          )}
        </div>
      ) : null}
      {preview.description ? <p className="link-preview-description">{preview.description}</p> : null}
      {onRemove ? (
        <button
          type="button"
          className="link link-preview-remove"
          onClick={onRemove}
          aria-label={t("removePreview")}
        >
          ×
        </button>
      ) : null}
    </aside>
  );
}
