"use client";

/**
 * A message's files as the list shows them: images as thumbnails in a box of the image's own
 * aspect ratio (reserved before the bytes arrive, so nothing jumps) that open a lightbox; voice
 * messages as a play button, waveform and duration; videos inline; any other file as a card with
 * icon, name, size and download. Every URL is `/api/files/<id>`, which checks access on each
 * request and redirects to a short-lived signed URL.
 */
import "~/styles/attachments.css";
import { useTranslations } from "next-intl";
import { useEffect, useRef, useState } from "react";
import { useFormats } from "~/i18n/format";
import type { TAttachment } from "~/lib/upload";

/** Largest side of an inline image preview, in CSS pixels (the thumbnails are made at 360). */
const PREVIEW_MAX = 360;

export const fileUrl = (id: string, variant?: "thumbnail") =>
  `/api/files/${id}${variant ? `?variant=${variant}` : ""}`;

/** The size an image is shown at inline: its aspect ratio, no side above PREVIEW_MAX. */
export function previewSize(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(1, PREVIEW_MAX / width, PREVIEW_MAX / height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** "0:07", "12:30", "1:02:03". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

function fileIcon(mime: string): string {
  if (mime === "application/pdf") return "📄";
  if (mime.startsWith("audio/")) return "🎵";
  if (mime.startsWith("video/")) return "🎞️";
  if (mime.startsWith("image/")) return "🖼️";
  if (mime.startsWith("text/")) return "📝";
  if (/zip|compressed|tar|gzip|7z|rar/.test(mime)) return "🗜️";
  if (/sheet|excel|csv/.test(mime)) return "📊";
  if (/presentation|powerpoint/.test(mime)) return "📽️";
  if (/word|document/.test(mime)) return "📃";
  return "📎";
}

function Lightbox({ attachment, onClose }: { attachment: TAttachment; onClose: () => void }) {
  const t = useTranslations("Attachments");
  const fmt = useFormats();
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      className="lightbox"
      aria-label={t("image", { name: attachment.name })}
      onClose={onClose}
      // Escape closes a modal dialog natively; this handles clicks on the backdrop only.
      onKeyDown={() => undefined}
      onClick={(e) => {
        if (e.target === e.currentTarget) ref.current?.close(); // a click on the backdrop
      }}
    >
      <div className="lightbox-bar">
        <span className="lightbox-name">{attachment.name}</span>
        <span className="muted">{fmt.bytes(attachment.size)}</span>
        <a href={fileUrl(attachment.id)} download={attachment.name}>
          {t("download")}
        </a>
        <button type="button" onClick={() => ref.current?.close()}>
          {t("close")}
        </button>
      </div>
      {/* biome-ignore lint/performance/noImgElement: an authorized redirect to storage, not a static asset */}
      <img
        src={fileUrl(attachment.id)}
        alt={attachment.name}
        width={attachment.width ?? undefined}
        height={attachment.height ?? undefined}
      />
    </dialog>
  );
}

function ImageAttachment({ attachment }: { attachment: TAttachment }) {
  const t = useTranslations("Attachments");
  const [isOpen, setOpen] = useState(false);
  const w = attachment.width ?? PREVIEW_MAX;
  const h = attachment.height ?? PREVIEW_MAX;
  const size = previewSize(w, h);
  return (
    <>
      <button
        type="button"
        className="att-image"
        aria-label={t("openImage", { name: attachment.name })}
        style={{ width: size.width, aspectRatio: `${w} / ${h}` }}
        onClick={() => setOpen(true)}
      >
        {/* biome-ignore lint/performance/noImgElement: an authorized redirect to storage, not a static asset */}
        <img
          src={fileUrl(attachment.id, attachment.hasThumbnail ? "thumbnail" : undefined)}
          alt={attachment.name}
          width={size.width}
          height={size.height}
          loading="lazy"
          decoding="async"
        />
      </button>
      {isOpen ? <Lightbox attachment={attachment} onClose={() => setOpen(false)} /> : null}
    </>
  );
}

/** Bars of a waveform, `progress` (0–1) of them highlighted. */
function Waveform({
  levels,
  progress,
  onSeek,
}: {
  levels: readonly number[];
  progress: number;
  onSeek: (fraction: number) => void;
}) {
  const bars = levels.length > 0 ? levels : Array.from({ length: 32 }, () => 60);
  return (
    <div
      className="waveform"
      aria-hidden="true"
      onClick={(e) => {
        const rect = e.currentTarget.getBoundingClientRect();
        onSeek(Math.min(1, Math.max(0, (e.clientX - rect.left) / rect.width)));
      }}
    >
      {bars.map((level, i) => (
        <span
          // biome-ignore lint/suspicious/noArrayIndexKey: bars are positional and never reorder
          key={i}
          className={i / bars.length < progress ? "bar played" : "bar"}
          style={{ height: `${Math.max(14, Math.round((level / 255) * 100))}%` }}
        />
      ))}
    </div>
  );
}

function VoiceAttachment({ attachment }: { attachment: TAttachment }) {
  const t = useTranslations("Attachments");
  const audio = useRef<HTMLAudioElement>(null);
  const [isPlaying, setPlaying] = useState(false);
  const [position, setPosition] = useState(0);
  const [measured, setMeasured] = useState<number | null>(null);
  const durationMs = attachment.durationMs ?? measured ?? 0;
  const progress = durationMs > 0 ? Math.min(1, position / durationMs) : 0;

  const toggle = () => {
    const el = audio.current;
    if (!el) return;
    if (el.paused) void el.play().catch(() => setPlaying(false));
    else el.pause();
  };

  return (
    // biome-ignore lint/a11y/useSemanticElements: a player, not a form; fieldset would add form semantics
    <div className="att-voice" role="group" aria-label={t("voice", { duration: formatDuration(durationMs) })}>
      <button
        type="button"
        className="voice-play"
        aria-label={isPlaying ? t("pause") : t("play")}
        onClick={toggle}
      >
        <span aria-hidden="true">{isPlaying ? "❚❚" : "▶"}</span>
      </button>
      <Waveform
        levels={attachment.waveform}
        progress={progress}
        onSeek={(fraction) => {
          const el = audio.current;
          if (el && durationMs > 0) el.currentTime = (fraction * durationMs) / 1000;
        }}
      />
      <span className="voice-time" data-testid="voice-time">
        {isPlaying || position > 0
          ? `${formatDuration(position)} / ${formatDuration(durationMs)}`
          : formatDuration(durationMs)}
      </span>
      <audio
        ref={audio}
        src={fileUrl(attachment.id)}
        preload="metadata"
        onPlay={() => setPlaying(true)}
        onPause={() => setPlaying(false)}
        onEnded={() => {
          setPlaying(false);
          setPosition(0);
        }}
        onTimeUpdate={(e) => setPosition(e.currentTarget.currentTime * 1000)}
        onLoadedMetadata={(e) => {
          const d = e.currentTarget.duration;
          if (Number.isFinite(d)) setMeasured(d * 1000);
        }}
      >
        <track kind="captions" />
      </audio>
    </div>
  );
}

function FileAttachment({ attachment }: { attachment: TAttachment }) {
  const t = useTranslations("Attachments");
  const fmt = useFormats();
  return (
    <div className="att-file">
      <span className="att-icon" aria-hidden="true">
        {fileIcon(attachment.mime)}
      </span>
      <span className="att-meta">
        <span className="att-name">{attachment.name}</span>
        <span className="muted">{fmt.bytes(attachment.size)}</span>
      </span>
      <a
        href={fileUrl(attachment.id)}
        download={attachment.name}
        aria-label={t("downloadName", { name: attachment.name })}
      >
        {t("download")}
      </a>
    </div>
  );
}

/** The files of one message, in upload order. */
export function AttachmentList({ attachments }: { attachments: readonly TAttachment[] }) {
  const t = useTranslations("Attachments");
  if (attachments.length === 0) return null;
  return (
    <ul className="attachments" aria-label={t("list")}>
      {attachments.map((a) => (
        <li key={a.id}>
          {a.mime.startsWith("image/") && a.width && a.height ? (
            <ImageAttachment attachment={a} />
          ) : a.mime.startsWith("audio/") ? (
            <VoiceAttachment attachment={a} />
          ) : a.mime === "video/mp4" || a.mime === "video/webm" ? (
            // biome-ignore lint/a11y/useMediaCaption: user uploads have no caption tracks
            <video
              className="att-video"
              src={fileUrl(a.id)}
              controls
              preload="metadata"
              aria-label={a.name}
            />
          ) : (
            <FileAttachment attachment={a} />
          )}
        </li>
      ))}
    </ul>
  );
}
