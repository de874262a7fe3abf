"use client";

/**
 * One ParleyClient per tab, shared through React context. The socket URL comes from
 * `realtime.ticket` (a 60 s ticket) fetched fresh before every connect attempt.
 *
 * Storage (see the SDK's note on two tabs): the tab that wins the Web Lock `parley:<user>:store`
 * keeps cursors and outbox in localStorage under `parley:<user>:`, so a reload resumes and resends;
 * other tabs of the same user use memory stores (two clients on one prefix would overwrite each
 * other's outbox). The lock is released when the tab goes, so the next tab or reload takes over
 * the persisted outbox. Without Web Locks (plain-http origins other than localhost) every tab uses
 * memory stores.
 *
 * What the client's events do to the UI's data lives in chat-data.ts (`connectLiveData`).
 */
import {
  localStorageStore,
  ParleyClient,
  type TCursorStore,
  type TOutboxStore,
  type TWebSocketConstructor,
} from "@parley/client";
import { CloseCode, decodeUserEvent, UserEventKind } from "@parley/protocol";
import { useQueryClient } from "@tanstack/react-query";
import { type ReactNode, useEffect, useState } from "react";
import { isUnauthorized, useTRPC, useTRPCClient } from "~/trpc/react";
import { connectLiveData, trackConversations } from "./chat-data";
import { persistQueries } from "./offline-cache";
import { savedStatusLine } from "./presence";
import { RealtimeContext, type TRealtimeStatus } from "./realtime-context";
import { newClientMsgId } from "./timeline";

/** A tab hidden this long sets its user's presence to away. */
const AWAY_AFTER_MS = 5 * 60_000;

type TStores = { cursorStore?: TCursorStore; outboxStore?: TOutboxStore };

/** Takes the per-user storage lock if free; `release` lets the next tab have it. */
function claimStores(userId: string): { stores: Promise<TStores>; release: () => void } {
  let release = () => {};
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  if (!locks) return { stores: Promise.resolve({}), release };
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const stores = new Promise<TStores>((resolve) => {
    locks
      .request(`parley:${userId}:store`, { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve({});
          return undefined;
        }
        resolve(localStorageStore(`parley:${userId}:`));
        return held;
      })
      .catch(() => resolve({}));
  });
  return { stores, release };
}

/** Creates the tab's realtime client for the signed-in user and wires it to the query caches. */
export function RealtimeProvider({ userId, children }: { userId: string; children: ReactNode }) {
  const trpc = useTRPC();
  const trpcClient = useTRPCClient();
  const queryClient = useQueryClient();
  const [client, setClient] = useState<ParleyClient | null>(null);
  const [status, setStatus] = useState<TRealtimeStatus>({
    state: "idle",
    reason: "starting",
    hasBeenOpen: false,
  });

  useEffect(() => {
    let isStopped = false;
    let stop = () => {};
    // The last state seen, for a reload without network (restored first when starting offline).
    const offPersist = persistQueries(queryClient, userId);
    const claim = claimStores(userId);
    void claim.stores.then((stores) => {
      if (isStopped) return;
      const c = new ParleyClient({
        ...stores,
        WebSocket: globalThis.WebSocket as unknown as TWebSocketConstructor,
        randomUUID: newClientMsgId,
        url: async () => {
          try {
            const { ticket, url } = await trpcClient.realtime.ticket.mutate();
            const target = new URL(url);
            target.searchParams.set("ticket", ticket);
            return target.toString();
          } catch (err) {
            if (isUnauthorized(err)) window.location.assign("/sign-in");
            throw err;
          }
        },
      });
      const offState = c.on("state", (change) => {
        // The gateway closes a revoked session's sockets (4401) and a deactivated user's (4403).
        if (
          change.to === "closed" &&
          (change.code === CloseCode.Unauthorized || change.code === CloseCode.Forbidden)
        ) {
          window.location.assign("/sign-in");
        }
        setStatus((s) => ({
          state: change.to,
          reason: change.reason,
          hasBeenOpen: s.hasBeenOpen || change.to === "open",
        }));
      });
      const offData = connectLiveData(c, { queryClient, trpc, trpcClient, userId });
      // The browser knows first when the network is gone (a dead socket can take a heartbeat to
      // notice): go offline at once and reconnect, resuming from the cursors, when it is back.
      const onOffline = () => c.disconnect("the browser is offline");
      const onOnline = () => c.connect();
      window.addEventListener("offline", onOffline);
      window.addEventListener("online", onOnline);
      // Started offline (a reload from the service worker's cache): say so at once; the list
      // below waits for the network, and `online` connects.
      if (!navigator.onLine) onOffline();
      // A tab hidden for AWAY_AFTER_MS shows its user as away; coming back makes them online.
      let awayTimer: ReturnType<typeof setTimeout> | undefined;
      let isAway = false;
      const onVisibility = () => {
        clearTimeout(awayTimer);
        if (document.visibilityState === "hidden") {
          awayTimer = setTimeout(() => {
            isAway = true;
            c.setPresence("away");
          }, AWAY_AFTER_MS);
        } else if (isAway) {
          isAway = false;
          c.setPresence("online");
        }
      };
      document.addEventListener("visibilitychange", onVisibility);
      // The outbox store's writes are throttled during bursts: write what is pending before the page goes.
      const onPageHide = () => c.flush();
      window.addEventListener("pagehide", onPageHide);
      // A custom status set on any of this user's devices goes into this device's presence, which
      // is how the people watching the user see it change live.
      const offPrefs = c.on("userEvent", (frame) => {
        const event = decodeUserEvent(frame);
        if (event?.kind !== UserEventKind.PreferencesUpdated) return;
        const { statusEmoji, statusText } = event.payload;
        if (statusEmoji === undefined || statusText === undefined) return;
        c.setPresence(isAway ? "away" : "online", savedStatusLine({ statusEmoji, statusText }));
      });
      setClient(c);
      // Track the sidebar's conversations before connecting, so the first `hello` carries every
      // cursor and one replay covers them all (instead of one `sync` per conversation).
      void (async () => {
        await c.ready;
        try {
          trackConversations(c, await queryClient.fetchQuery(trpc.conversations.list.queryOptions()));
        } catch {
          // The sidebar's own query retries; tracking then happens there.
        }
        if (isStopped) return;
        if (navigator.onLine) c.connect();
        else onOffline();
      })();
      stop = () => {
        window.removeEventListener("offline", onOffline);
        window.removeEventListener("online", onOnline);
        document.removeEventListener("visibilitychange", onVisibility);
        window.removeEventListener("pagehide", onPageHide);
        clearTimeout(awayTimer);
        offState();
        offData();
        offPrefs();
        c.disconnect("page closed");
      };
    });
    return () => {
      isStopped = true;
      stop();
      offPersist();
      claim.release();
      setClient(null);
    };
  }, [queryClient, trpc, trpcClient, userId]);

  return <RealtimeContext.Provider value={{ client, status, userId }}>{children}</RealtimeContext.Provider>;
}
