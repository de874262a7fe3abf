import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import { connectLiveData, feedKey } from "./chat-data";
import { fakeLiveClient } from "./fake-live-client";

const PREFERENCES = [["users", "preferences"], { type: "query" }];
const LIST = [["conversations", "list"], { type: "query" }];
const FEED = feedKey("c1");
const THREAD = ["parley", "thread", "m1"];

function filledQueries(): QueryClient {
  const queryClient = new QueryClient();
  queryClient.setQueryData(PREFERENCES, { sidebarUnreadsFirst: true, locale: null });
  queryClient.setQueryData(LIST, [{ id: "c1", lastSeq: 4 }]);
  queryClient.setQueryData(FEED, { messages: [] });
  queryClient.setQueryData(THREAD, { replies: [] });
  return queryClient;
}

/** Lets the handlers' refetches (which first cancel what is in flight) run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Filled caches wired to a fake client whose user cursor is `userCursor`, after the client's state
 * changed to `to` and the handlers ran.
 */
async function afterStateChange(userCursor: number | null, change: { from: string; to: string }) {
  const queryClient = filledQueries();
  const { client, emit } = fakeLiveClient(userCursor);
  const off = connectLiveData(client, {
    queryClient,
    trpc: {} as never,
    trpcClient: {} as never,
    userId: "u1",
  });
  emit("state", change);
  await settle();
  off();
  return queryClient;
}

const isStale = (queryClient: QueryClient, key: readonly unknown[]) =>
  queryClient.getQueryState(key)?.isInvalidated ?? false;

describe("connectLiveData on a welcome", () => {
  it("fetches again what user events keep, when the client had no place in the user log", async () => {
    const queryClient = await afterStateChange(null, { from: "connecting", to: "open" });
    // A user event between the page's fetches and this welcome was never delivered: refetch…
    expect(isStale(queryClient, PREFERENCES)).toBe(true);
    expect(isStale(queryClient, LIST)).toBe(true);
    // …but not the histories and threads, which the conversations' cursors resume.
    expect(isStale(queryClient, FEED)).toBe(false);
    expect(isStale(queryClient, THREAD)).toBe(false);
  });

  it("leaves the caches alone when the hello carried a user cursor (the replay covers the gap)", async () => {
    const queryClient = await afterStateChange(7, { from: "connecting", to: "open" });
    expect(isStale(queryClient, PREFERENCES)).toBe(false);
    expect(isStale(queryClient, LIST)).toBe(false);
  });

  it("does nothing on other state changes", async () => {
    const queryClient = await afterStateChange(null, { from: "open", to: "connecting" });
    expect(isStale(queryClient, PREFERENCES)).toBe(false);
  });
});
