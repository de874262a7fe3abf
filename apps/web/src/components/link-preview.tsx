"use client";

/**
 * The link preview under a message (`message.preview`, fetched by the server's previewer): site
 * name, title (a link to the page, opened in a new tab without referrer), description — all plain
 * text from the page's metadata, which React escapes — and the page's image when the server
 * fetched one: always from Parley's `/api/previews/<messageId>/image` (the server's re-encoded copy,
 * authorized like the message), never from the page's `imageUrl`, which the CSP's img-src would
 * refuse anyway (SECURITY.md, "Link previews"). The sender may remove it.
 */
import type { TLinkPreview } from "@parley/protocol";
import { useTranslations } from "next-intl";
import { safeUrl } from "./message-body";

/** One preview card; `onRemove` only for the message's sender. */
export function LinkPreviewCard({
  messageId,
  preview,
  onRemove,
}: {
  messageId: string;
  preview: TLinkPreview;
  onRemove?: () => void;
}) {
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
      {preview.image ? (
        // biome-ignore lint/performance/noImgElement: an authorized redirect to storage, not a static asset
        <img
          className="link-preview-image"
          src={`/api/previews/${encodeURIComponent(messageId)}/image`}
          width={preview.image.width}
          height={preview.image.height}
          alt=""
          loading="lazy"
          decoding="async"
          referrerPolicy="no-referrer"
        />
      ) : null}
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
