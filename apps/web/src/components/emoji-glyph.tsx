"use client";

/**
 * One emoji as text or picture: a Unicode emoji as its characters, a custom emoji's `:name:` as
 * its image while the emoji exists (else the text as typed). Reaction chips, the picker and the
 * composer's suggestions use it; message bodies do the same inside their markdown (message-body).
 */
import { customEmojiUrl, shortcodeName } from "~/lib/custom-emoji";
import { useWorkspaceExtras } from "~/lib/workspace-extras";

export function EmojiGlyph({ emoji }: { emoji: string }) {
  const { emojiByName } = useWorkspaceExtras();
  const name = shortcodeName(emoji);
  const id = name ? emojiByName.get(name) : undefined;
  if (!id) return <>{emoji}</>;
  return (
    <img className="custom-emoji" src={customEmojiUrl(id)} alt={emoji} title={emoji} draggable={false} />
  );
}
