"use client";

/**
 * The composer's unsent text, kept per user and conversation (lib/drafts.ts): loaded when the box
 * opens, saved a moment after the last keystroke and when the page or the conversation is left,
 * removed once sent. An edit of a sent message is never saved as a draft.
 */
import { useEffect, useRef } from "react";
import { browserDraftStorage, clearDraft, loadDraft, saveDraft } from "./drafts";

/** Unsent text is written to storage this long after the last keystroke (and on leaving). */
const DRAFT_SAVE_MS = 400;

/** Draft keeping for one composer; call `markDirty` on every user edit and `clear` after a send. */
export function useComposerDraft(options: {
  text: string;
  setText: (update: (current: string) => string) => void;
  conversationId: string | undefined;
  meId: string | undefined;
  isEditing: boolean;
  /** Where the draft is kept (the conversation id, or e.g. `thread:<rootId>`). */
  draftKey: string;
}): { markDirty: () => void; clear: () => void } {
  const { text, setText, conversationId, meId, isEditing, draftKey } = options;
  const isDirty = useRef(false);
  const latest = useRef({ text, conversationId, meId, isEditing, draftKey });
  latest.current = { text, conversationId, meId, isEditing, draftKey };

  useEffect(() => {
    if (!conversationId || !meId) return;
    const draft = loadDraft(browserDraftStorage(), meId, draftKey);
    if (draft) setText((current) => current || draft);
  }, [conversationId, meId, draftKey, setText]);

  useEffect(() => {
    if (!conversationId || !meId || isEditing || !isDirty.current) return;
    const timer = setTimeout(() => {
      saveDraft(browserDraftStorage(), meId, draftKey, text);
      isDirty.current = false;
    }, DRAFT_SAVE_MS);
    return () => clearTimeout(timer);
  }, [text, conversationId, meId, isEditing, draftKey]);

  // Leaving the page or the conversation must not lose the last keystrokes.
  useEffect(() => {
    const flush = () => {
      const now = latest.current;
      if (!now.conversationId || !now.meId || now.isEditing || !isDirty.current) return;
      saveDraft(browserDraftStorage(), now.meId, now.draftKey, now.text);
      isDirty.current = false;
    };
    window.addEventListener("pagehide", flush);
    return () => {
      window.removeEventListener("pagehide", flush);
      flush();
    };
  }, []);

  return {
    markDirty: () => {
      isDirty.current = true;
    },
    clear: () => {
      isDirty.current = false;
      const now = latest.current;
      if (now.conversationId && now.meId) clearDraft(browserDraftStorage(), now.meId, now.draftKey);
    },
  };
}
