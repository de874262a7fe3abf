import type { TAppRouter } from "@parley/api";
import { QueryClient, QueryObserver } from "@tanstack/react-query";
import { createTRPCClient, type TRPCLink } from "@trpc/client";
import { observable } from "@trpc/server/observable";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { afterEach, describe, expect, it } from "vitest";
import type { TConversationSummary } from "~/trpc/types";
import { connectLiveData } from "./chat-data";
import { fakeLiveClient } from "./fake-live-client";

const ME = "u-alice";
const BOB = "u-bob";

/** A list row as the server answers it (counts as of `lastSeq`). */
function row(id: string, kind: TConversationSummary["kind"], lastSeq: number): TConversationSummary {
  return {
    id,
    kind,
    name: id,
    topic: "",
    archivedAt: null,
    lastSeq,
    readSeq: lastSeq,
    unreadCount: 0,
    mentionCount: 0,
    isMember: true,
    memberRole: "member",
    muted: false,
    notifyLevel: "default",
    ignoreBroadcasts: false,
    dmMembers: [],
    isDefault: false,
    isGeneral: false,
    createdAt: new Date(0),
  };
}

/**
 * The sidebar's list query, observed as the sidebar does, over a tRPC client whose server answers
 * `rows` and counts every `conversations.list` request; and a fake ParleyClient wired to the caches.
 */
async function sidebarTab(rows: TConversationSummary[]) {
  let listRequests = 0;
  /** While set, the server answers once it resolves, with the rows as they are then. */
  let gate: Promise<void> | null = null;
  const link: TRPCLink<TAppRouter> =
    () =>
    ({ op }) =>
      observable((observer) => {
        if (op.path === "conversations.list") listRequests++;
        void (gate ?? Promise.resolve()).then(() => {
          observer.next({ result: { type: "data", data: structuredClone(rows) } });
          observer.complete();
        });
        return () => undefined;
      });
  const queryClient = new QueryClient();
  const trpcClient = createTRPCClient<TAppRouter>({ links: [link] });
  const trpc = createTRPCOptionsProxy<TAppRouter>({ client: trpcClient, queryClient });
  const observer = new QueryObserver(queryClient, trpc.conversations.list.queryOptions());
  const unobserve = observer.subscribe(() => undefined);
  await observer.refetch();

  const { client, emit } = fakeLiveClient(1);
  const off = connectLiveData(client, { queryClient, trpc, trpcClient, userId: ME });
  cleanups.push(() => {
    off();
    unobserve();
    queryClient.clear();
  });
  return {
    emit,
    /** The sidebar refetches the list (the safety refetch) while the server holds the answer. */
    refetchHeld: () => {
      let answer: () => void = () => undefined;
      gate = new Promise((resolve) => {
        answer = resolve;
      });
      void observer.refetch();
      return () => {
        gate = null;
        answer();
      };
    },
    /** Requests for the list since the sidebar's first load. */
    refetches: () => listRequests - 1,
    list: () => queryClient.getQueryData(trpc.conversations.list.queryKey()) ?? [],
  };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

let messages = 0;
/** A message.created frame from Bob at `seq`. */
function messageFrame(
  conversationId: string,
  seq: number,
  fields: {
    threadRootId?: string;
    alsoInChannel?: boolean;
    mentionedUserIds?: string[];
    mentionsAll?: boolean;
  } = {},
) {
  messages++;
  return {
    type: "event",
    conversationId,
    seq,
    kind: "message.created",
    actorId: BOB,
    payload: {
      message: {
        id: `m${messages}`,
        senderId: BOB,
        body: `hello ${messages}`,
        createdAt: new Date().toISOString(),
        ...fields,
      },
    },
    createdAt: new Date().toISOString(),
  };
}

const readFrame = (conversationId: string, readSeq: number) => ({
  type: "user.event",
  seq: 1,
  kind: "read.updated",
  payload: { conversationId, readSeq },
});

/** Longer than the list's refetch debounce (150 ms): a burst's refetch, if any, is under way. */
const pause = () => new Promise((resolve) => setTimeout(resolve, 200));

describe("connectLiveData and the conversations list", () => {
  it("counts others' messages in the cached list instead of refetching it", async () => {
    const tab = await sidebarTab([row("c1", "public_channel", 4), row("d1", "dm", 10)]);
    // 40 messages in 5 bursts (a refetch per burst before): plain ones, mentions of me and of
    // everyone, thread-only replies (not unread, but a mention counts) and one shown in the channel.
    let seq = 4;
    for (let burst = 0; burst < 5; burst++) {
      for (let i = 0; i < 7; i++) {
        const fields =
          i === 0
            ? { mentionedUserIds: [ME] }
            : i === 1
              ? { mentionsAll: true }
              : i === 2
                ? { threadRootId: "root", mentionedUserIds: [ME] }
                : i === 3
                  ? { threadRootId: "root", alsoInChannel: true }
                  : i === 4
                    ? { mentionedUserIds: ["someone-else"] }
                    : {};
        tab.emit("event", messageFrame("c1", ++seq, fields));
      }
      tab.emit("event", messageFrame("d1", 11 + burst));
      await pause();
    }
    expect(tab.refetches()).toBe(0);
    const [c1, d1] = tab.list();
    // Per burst: 6 shown in the channel (all but the thread-only reply), 3 mentions.
    expect(c1).toMatchObject({ lastSeq: 39, readSeq: 4, unreadCount: 30, mentionCount: 15 });
    // In a DM every unread message counts as a mention.
    expect(d1).toMatchObject({ lastSeq: 15, readSeq: 10, unreadCount: 5, mentionCount: 5 });
  });

  it("leaves a message the list already counts alone (a list fetched after it)", async () => {
    const tab = await sidebarTab([{ ...row("c1", "public_channel", 9), readSeq: 4, unreadCount: 5 }]);
    tab.emit("event", messageFrame("c1", 9));
    await pause();
    expect(tab.refetches()).toBe(0);
    expect(tab.list()[0]).toMatchObject({ lastSeq: 9, unreadCount: 5 });
  });

  it("refetches once for messages in a conversation the list does not hold", async () => {
    const tab = await sidebarTab([row("c1", "public_channel", 4)]);
    for (let seq = 1; seq <= 5; seq++) tab.emit("event", messageFrame("new", seq));
    await pause();
    expect(tab.refetches()).toBe(1);
  });

  it("clears the counts on a read mark that covers the list's last message, refetches on one that does not", async () => {
    const tab = await sidebarTab([
      { ...row("c1", "public_channel", 9), readSeq: 4, unreadCount: 5, mentionCount: 2 },
      { ...row("c2", "public_channel", 9), readSeq: 4, unreadCount: 5, mentionCount: 2 },
    ]);
    tab.emit("userEvent", readFrame("c1", 9));
    await pause();
    expect(tab.refetches()).toBe(0);
    expect(tab.list()[0]).toMatchObject({ readSeq: 9, unreadCount: 0, mentionCount: 0 });
    // A message read on another device before this tab got it is not counted.
    tab.emit("userEvent", readFrame("c1", 11));
    tab.emit("event", messageFrame("c1", 10, { mentionsAll: true }));
    await pause();
    expect(tab.list()[0]).toMatchObject({ lastSeq: 10, readSeq: 11, unreadCount: 0, mentionCount: 0 });
    expect(tab.refetches()).toBe(0);
    // Read up to the middle: which unread messages are left only the server knows.
    tab.emit("userEvent", readFrame("c2", 6));
    await pause();
    expect(tab.refetches()).toBe(1);
  });

  it("fetches again after a message that lands while a fetch is in flight (its answer may predate it)", async () => {
    const rows = [row("c1", "public_channel", 4)];
    const tab = await sidebarTab(rows);
    const answer = tab.refetchHeld();
    tab.emit("event", messageFrame("c1", 5));
    // The server had read before the message; its next answer counts it.
    answer();
    rows[0] = { ...rows[0]!, lastSeq: 5, unreadCount: 1 };
    await pause();
    expect(tab.refetches()).toBe(2);
    expect(tab.list()[0]).toMatchObject({ lastSeq: 5, unreadCount: 1 });
  });
});
