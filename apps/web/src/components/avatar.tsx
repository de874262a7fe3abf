"use client";

/**
 * A person's avatar: their uploaded picture (GET /api/avatars/<userId>/<avatarId>, which checks
 * access and redirects to storage; a new avatar is a new URL, so browsers cache each one), or
 * their initials on a coloured square when they have none or it fails to load.
 */
import { type ReactNode, useState } from "react";

/** The URL of one avatar thumbnail (64 px for rows and lists, 256 px for the profile). */
export function avatarUrl(userId: string, avatarId: string, size: 64 | 256 = 64): string {
  return `/api/avatars/${encodeURIComponent(userId)}/${encodeURIComponent(avatarId)}?size=${size}`;
}

/** "Ada Lovelace" → "AL", "grace" → "G", "" → "?". */
export function initialsOf(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : words;
  return letters.map((w) => Array.from(w ?? "")[0]?.toUpperCase() ?? "").join("") || "?";
}

export function Avatar({
  userId,
  avatarId,
  name,
  size = "md",
  className,
  children,
}: {
  userId: string;
  avatarId: string | null | undefined;
  name: string;
  /** sm: 1.4rem (message rows, pickers), md: 2rem (member lists), lg: 5rem (profile). */
  size?: "sm" | "md" | "lg";
  className?: string;
  /** Overlays (a presence dot). */
  children?: ReactNode;
}) {
  const [failed, setFailed] = useState<string | null>(null);
  const hasImage = Boolean(avatarId) && failed !== avatarId;
  return (
    <span
      className={["avatar", `avatar-${size}`, className].filter(Boolean).join(" ")}
      aria-hidden="true"
      data-avatar={hasImage ? "image" : "initials"}
      data-user-id={userId}
    >
      {hasImage && avatarId ? (
        // biome-ignore lint/performance/noImgElement: an authorized redirect to storage, not a static asset
        <img
          src={avatarUrl(userId, avatarId, size === "lg" ? 256 : 64)}
          alt=""
          loading="lazy"
          decoding="async"
          onError={() => setFailed(avatarId)}
        />
      ) : (
        initialsOf(name)
      )}
      {children}
    </span>
  );
}
