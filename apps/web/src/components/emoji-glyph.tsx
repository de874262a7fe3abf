"use client";

/**
 * One emoji as text or picture: a Unicode emoji as its characters, a custom emoji's `:name:` as
 * its image while the emoji exists (else the text as typed). Reaction chips, the picker and the
 * composer's suggestions use it; message bodies draw `CustomEmojiImage` from their markdown.
 */
import { customEmojiUrl, shortcodeName } from "~/lib/custom-emoji";
import { useWorkspaceExtras } from "~/lib/workspace-extras";
import "~/styles/composer.css";

/** A custom emoji's picture (sized like text by `.custom-emoji`). */
export function CustomEmojiImage({ src, alt }: { src: string; alt: string }) {
  // biome-ignore lint/performance/noImgElement: an authorized redirect to storage, not a static asset
  return <img className="custom-emoji" src={src} alt={alt} title={alt || undefined} draggable={false} />;
}

export function EmojiGlyph({ emoji }: { emoji: string }) {
  const { emojiByName } = useWorkspaceExtras();
  const name = shortcodeName(emoji);
  const id = name ? emojiByName.get(name) : undefined;
  if (!id) return <>{emoji}</>;
  return <CustomEmojiImage src={customEmojiUrl(id)} alt={emoji} />;
}
