/**
 * Presence: an engine entry per socket (TTL), changes published on `presence:<userId>`, watchers'
 * subscriptions ref-counted, a frame forwarded only when it differs from the last one seen here,
 * and a re-read every `refreshMs` that turns lapsed entries (a dead gateway) into `offline`.
 */
import {
  listVisibleUserIds,
  loadSavedStatusTexts,
  requireNoPresenceScope,
  type TConnectState,
  type TUserPresence,
} from "@parley/core";
import { encodeServerEvent } from "@parley/protocol";
import { createBatchLoader } from "../batch.ts";
import { Push } from "../push.ts";
import type { TDelivery, TDeliveryContext, TLinkState } from "./types.ts";

/** Users per getPresence call in the watched-presence re-check. */
const PRESENCE_BATCH = 500;

function encodePresence(userId: string, presence: TUserPresence): string {
  return encodeServerEvent({
    type: "presence",
    userId,
    status: presence.status,
    statusText: presence.statusText,
  });
}

/** One gateway's presence: its sockets' entries and its watchers. */
export type TPresence = Pick<TDelivery, "watchPresence" | "setPresence"> & {
  /** Publishes `userId`'s presence as the engine has it now. */
  publishPresence(userId: string): Promise<void>;
  /** The status text a new socket of `userId` starts with (its other sockets', else the saved one). */
  currentStatusText(userId: string, loading?: Promise<TConnectState | undefined> | null): Promise<string>;
  /** Stops watching `userId` from this socket. */
  unwatch(state: TLinkState, userId: string): void;
  /** Stops the re-check timer (shutdown). */
  stop(): void;
};

/** Builds the presence part of one delivery layer and starts its re-check of watched users. */
export function createPresence(ctx: TDeliveryContext): TPresence {
  const { engine, db, topics, states, ttlMs, deliverAll, track } = ctx;
  /** Watched user → local sockets watching them. */
  const watchers = new Map<string, Set<TLinkState>>();
  /** Last presence frame seen per watched user (dedupes pushes, detects lapses). */
  const lastPresence = new Map<string, string>();
  const loadSavedStatus = createBatchLoader<string, string>((ids) => loadSavedStatusTexts(db, ids));

  function onPresenceFrame(userId: string, frame: string): void {
    if (lastPresence.get(userId) === frame) return;
    lastPresence.set(userId, frame);
    const set = watchers.get(userId);
    if (set) deliverAll(new Push(frame), set);
  }

  async function publishPresence(userId: string): Promise<void> {
    const presence = (await engine.getPresence([userId])).get(userId) ?? {
      status: "offline",
      statusText: "",
    };
    await engine.publishToTopic(`presence:${userId}`, { frame: encodePresence(userId, presence) });
  }

  /**
   * The status text a new socket of `userId` starts with: what the user's other sockets show, or,
   * for a first socket, the custom status saved on the user (emoji and text, as one line), so
   * watchers see it as soon as the user comes online. Devices change it with `setPresence` when
   * their user log says it changed (users.setStatus → preferences.updated). `loading`: a first
   * socket's connect state, already on its way (no query of its own).
   */
  async function currentStatusText(
    userId: string,
    loading: Promise<TConnectState | undefined> | null = null,
  ): Promise<string> {
    const live = (await engine.getPresence([userId])).get(userId);
    if (live && live.status !== "offline") return live.statusText;
    if (loading) return (await loading)?.savedStatusText ?? "";
    return (await loadSavedStatus(userId)) ?? "";
  }

  function unwatch(state: TLinkState, userId: string): void {
    const set = watchers.get(userId);
    if (!set?.delete(state)) return;
    if (set.size === 0) {
      watchers.delete(userId);
      lastPresence.delete(userId);
    }
    topics.release(`presence:${userId}`);
  }

  async function recheckPresence(): Promise<void> {
    const watched = [...watchers.keys()];
    for (let i = 0; i < watched.length; i += PRESENCE_BATCH) {
      const batch = watched.slice(i, i + PRESENCE_BATCH);
      const current = await engine.getPresence(batch);
      for (const userId of batch) {
        const presence = current.get(userId) ?? { status: "offline", statusText: "" };
        if (watchers.has(userId)) onPresenceFrame(userId, encodePresence(userId, presence));
      }
    }
  }

  /** Re-reads every watched user's presence (lapsed entries of a dead gateway → `offline`), in batches. */
  let isRechecking = false;
  const recheckTimer = setInterval(() => {
    if (isRechecking || ctx.isStopped || watchers.size === 0) return;
    isRechecking = true;
    track(
      "presence re-check",
      recheckPresence().finally(() => (isRechecking = false)),
    );
  }, ctx.refreshMs);
  recheckTimer.unref();

  return {
    publishPresence,
    currentStatusText,
    unwatch,

    async watchPresence(link, userIds) {
      requireNoPresenceScope(link.actor);
      const state = ctx.stateOf(link);
      const unique = [...new Set(userIds)];
      // Only people the watcher may see (a guest: those they share a channel with); others, like
      // unknown ids, are never watched.
      const known = await listVisibleUserIds(db, link.actor.userId, unique);
      if (states.get(link.id) !== state) return;
      const next = new Set(known);
      for (const userId of state.watching) if (!next.has(userId)) unwatch(state, userId);
      const added: Promise<void>[] = [];
      for (const userId of next) {
        if (state.watching.has(userId)) continue;
        let set = watchers.get(userId);
        if (!set) {
          set = new Set();
          watchers.set(userId, set);
        }
        set.add(state);
        added.push(topics.acquire(`presence:${userId}`, (m) => onPresenceFrame(userId, m.frame)));
      }
      state.watching = next;
      await Promise.all(added);
      const ids = [...next];
      for (let i = 0; i < ids.length; i += PRESENCE_BATCH) {
        const batch = ids.slice(i, i + PRESENCE_BATCH);
        const current = await engine.getPresence(batch);
        for (const userId of batch) {
          const frame = encodePresence(userId, current.get(userId) ?? { status: "offline", statusText: "" });
          // A changed value goes to every watcher (this socket included); otherwise just to this one.
          if (lastPresence.get(userId) !== frame) onPresenceFrame(userId, frame);
          else if (state.watching.has(userId)) deliverAll(new Push(frame), [state]);
        }
      }
    },

    async setPresence(link, status, statusText) {
      requireNoPresenceScope(link.actor);
      const state = ctx.stateOf(link);
      const userId = link.actor.userId;
      const text = statusText ?? (await currentStatusText(userId));
      state.presence = { status, statusText: text };
      await engine.setPresence(userId, link.id, state.presence, ttlMs);
      await publishPresence(userId);
    },

    stop() {
      clearInterval(recheckTimer);
    },
  };
}
