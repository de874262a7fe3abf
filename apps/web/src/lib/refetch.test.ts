import { QueryClient, QueryObserver } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import { refetchFresh } from "./refetch";

/**
 * A query observed (as a mounted component would) whose first fetch reads the "server" and answers
 * after `release()`: the write lands between its read and its answer.
 */
function slowFirstLoad() {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const server = { exports: [] as string[] };
  const gates: (() => void)[] = [];
  const observer = new QueryObserver<string[]>(queryClient, {
    queryKey: ["exports"],
    queryFn: async () => {
      const read = [...server.exports];
      await new Promise<void>((resolve) => gates.push(resolve));
      return read;
    },
  });
  const off = observer.subscribe(() => {});
  const releaseAll = async () => {
    // Let every fetch started so far (and any started by those) answer.
    for (let i = 0; i < 10; i++) {
      for (const open of gates.splice(0)) open();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  };
  return {
    queryClient,
    server,
    releaseAll,
    off,
    data: () => queryClient.getQueryData<string[]>(["exports"]),
  };
}

describe("refetchFresh", () => {
  it("a write during a query's first fetch shows: the stale answer is dropped and the query fetched again", async () => {
    const q = slowFirstLoad();
    q.server.exports.push("e1"); // committed after the first fetch read the list
    const refetched = refetchFresh(q.queryClient, { queryKey: ["exports"] });
    await q.releaseAll();
    await refetched;
    expect(q.data()).toEqual(["e1"]);
    q.off();
  });

  it("(why: invalidateQueries alone joins the first fetch and keeps its stale answer)", async () => {
    const q = slowFirstLoad();
    q.server.exports.push("e1");
    const invalidated = q.queryClient.invalidateQueries({ queryKey: ["exports"] });
    await q.releaseAll();
    await invalidated;
    expect(q.data()).toEqual([]);
    q.off();
  });
});
