"use client";

/**
 * The conversation header's "⋯" menu: mute/unmute, this conversation's notification level
 * (default = my global setting, all messages, mentions only; "nothing" is mute), for channels
 * whether @channel/@here/@everyone notify me, and the channel's details page.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useTranslations } from "next-intl";
import { useEffect, useRef, useState } from "react";
import { useErrorText } from "~/i18n/server-errors";
import { refetchFresh } from "~/lib/refetch";
import { useTRPC } from "~/trpc/react";

const LEVELS = [{ value: "default" }, { value: "all" }, { value: "mentions" }] as const;

type TLevel = (typeof LEVELS)[number]["value"];

/** The "⋯" menu (see the file header). */
export function ConversationMenu({
  conversationId,
  isMuted,
  notifyLevel,
  ignoreBroadcasts,
  isChannel,
}: {
  conversationId: string;
  isMuted: boolean;
  notifyLevel: TLevel;
  ignoreBroadcasts: boolean;
  isChannel: boolean;
}) {
  const t = useTranslations("ConversationMenu");
  const errorText = useErrorText();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [isOpen, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  // Closing by keyboard or by a choice puts focus back on the "⋯" button (not on the page's body).
  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  const onSuccess = async () => {
    close();
    await refetchFresh(queryClient, trpc.conversations.pathFilter());
  };
  const setMuted = useMutation(trpc.conversations.setMuted.mutationOptions({ onSuccess }));
  const setNotify = useMutation(trpc.notifications.setConversation.mutationOptions({ onSuccess }));
  useEffect(() => {
    if (!isOpen) return;
    ref.current?.querySelector<HTMLElement>("[role^=menuitem]")?.focus();
    const onDown = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      setOpen(false);
      button.current?.focus();
    };
    document.addEventListener("mousedown", onDown);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onDown);
      document.removeEventListener("keydown", onKey);
    };
  }, [isOpen]);
  const isBusy = setMuted.isPending || setNotify.isPending;
  const error = setMuted.error ?? setNotify.error;
  return (
    <div className="menu-wrap" ref={ref}>
      <button
        ref={button}
        type="button"
        className="quiet icon"
        aria-label={t("options")}
        aria-haspopup="menu"
        aria-expanded={isOpen}
        onClick={() => setOpen((v) => !v)}
      >
        <span aria-hidden="true">⋯</span>
      </button>
      {isOpen ? (
        <div className="menu" role="menu" aria-label={t("options")}>
          <button
            type="button"
            role="menuitem"
            disabled={isBusy}
            onClick={() => setMuted.mutate({ conversationId, muted: !isMuted })}
          >
            {isChannel
              ? isMuted
                ? t("unmuteChannel")
                : t("muteChannel")
              : isMuted
                ? t("unmute")
                : t("mute")}
          </button>
          <fieldset className="menu-group" aria-label={t("notifyAbout")}>
            {LEVELS.map((l) => (
              <button
                key={l.value}
                type="button"
                role="menuitemradio"
                aria-checked={!isMuted && notifyLevel === l.value}
                disabled={isBusy}
                onClick={() => setNotify.mutate({ conversationId, level: l.value })}
              >
                {!isMuted && notifyLevel === l.value ? "✓ " : ""}
                {t("notify", { level: t(`levels.${l.value}`) })}
              </button>
            ))}
          </fieldset>
          {isChannel ? (
            <button
              type="button"
              role="menuitemcheckbox"
              aria-checked={ignoreBroadcasts}
              disabled={isBusy}
              onClick={() => setNotify.mutate({ conversationId, ignoreBroadcasts: !ignoreBroadcasts })}
            >
              {ignoreBroadcasts ? "✓ " : ""}
              {t("ignoreBroadcasts")}
            </button>
          ) : null}
          {isChannel ? (
            <Link role="menuitem" href={`/app/c/${conversationId}/details`}>
              {t("settings")}
            </Link>
          ) : null}
          {error ? (
            <p role="alert" className="error">
              {errorText(error)}
            </p>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
