"use client";

/**
 * The composer's attachment controls: the "Attach files" button, the tray of files on their way
 * (preview, progress bar, cancel), and the handlers that take files from paste and drag-and-drop.
 */
import "~/styles/attachments.css";
import { useTranslations } from "next-intl";
import { type ClipboardEvent, type DragEvent, useRef, useState } from "react";
import { useFormats } from "~/i18n/format";
import type { TUpload } from "~/lib/upload";

export function AttachButton({
  onFiles,
  isDisabled,
}: {
  onFiles: (files: File[]) => void;
  isDisabled?: boolean;
}) {
  const t = useTranslations("Uploads");
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button
        type="button"
        className="quiet icon-button"
        aria-label={t("attach")}
        title={t("attach")}
        disabled={isDisabled}
        onClick={() => input.current?.click()}
      >
        <span aria-hidden="true">📎</span>
      </button>
      <input
        ref={input}
        type="file"
        multiple
        hidden
        aria-label={t("choose")}
        data-testid="file-input"
        onChange={(e) => {
          const files = [...(e.currentTarget.files ?? [])];
          e.currentTarget.value = ""; // the same file may be chosen again
          if (files.length > 0) onFiles(files);
        }}
      />
    </>
  );
}

export function UploadTray({
  uploads,
  onRemove,
}: {
  uploads: readonly TUpload[];
  onRemove: (key: string) => void;
}) {
  const t = useTranslations("Uploads");
  const fmt = useFormats();
  if (uploads.length === 0) return null;
  return (
    <ul className="upload-tray" aria-label={t("tray")}>
      {uploads.map((u) => {
        const percent = Math.round(u.progress * 100);
        return (
          <li key={u.key} className={`upload ${u.status}`} data-status={u.status}>
            {u.previewUrl ? (
              // biome-ignore lint/performance/noImgElement: a local object URL preview
              <img src={u.previewUrl} alt="" className="upload-preview" />
            ) : (
              <span className="upload-preview" aria-hidden="true">
                {u.mime.startsWith("audio/") ? "🎤" : "📎"}
              </span>
            )}
            <span className="upload-meta">
              <span className="upload-name">{u.name}</span>
              <span className="muted">
                {fmt.bytes(u.size)}
                {u.status === "processing"
                  ? ` · ${t("processing")}`
                  : u.status === "ready"
                    ? ` · ${t("ready")}`
                    : ""}
              </span>
              {u.status === "uploading" || u.status === "processing" ? (
                <progress
                  max={100}
                  value={percent}
                  aria-label={t("uploading", { name: u.name })}
                  aria-valuetext={`${percent}%`}
                />
              ) : null}
              {u.status === "failed" ? (
                <span role="alert" className="error">
                  {u.error ?? t("failed")}
                </span>
              ) : null}
            </span>
            <button
              type="button"
              className="quiet"
              aria-label={`${u.status === "uploading" || u.status === "processing" ? "Cancel upload of" : "Remove"} ${u.name}`}
              onClick={() => onRemove(u.key)}
            >
              ✕
            </button>
          </li>
        );
      })}
    </ul>
  );
}

/** Paste and drag-and-drop handlers for an element that accepts files, and whether a drag is over it. */
export function useFileTarget(onFiles: (files: File[]) => void) {
  const [isOver, setOver] = useState(false);
  const depth = useRef(0);
  const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes("Files") ?? false;
  return {
    isOver,
    handlers: {
      onPaste: (e: ClipboardEvent) => {
        const files = [...e.clipboardData.files];
        if (files.length === 0) return; // plain text pastes as usual
        e.preventDefault();
        onFiles(files);
      },
      onDragEnter: (e: DragEvent) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        depth.current += 1;
        setOver(true);
      },
      onDragOver: (e: DragEvent) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = "copy";
      },
      onDragLeave: (e: DragEvent) => {
        if (!hasFiles(e)) return;
        depth.current = Math.max(0, depth.current - 1);
        if (depth.current === 0) setOver(false);
      },
      onDrop: (e: DragEvent) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        depth.current = 0;
        setOver(false);
        const files = [...e.dataTransfer.files];
        if (files.length > 0) onFiles(files);
      },
    },
  };
}
