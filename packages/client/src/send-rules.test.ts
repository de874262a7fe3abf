/**
 * The client SDK's `send()` refuses exactly what the server refuses: protocol's INVALID_SENDS
 * table (the same one the gateway and tRPC tests run) must throw ParleySendInputError naming the
 * same field paths, and queue nothing.
 */
import { INVALID_SENDS, issuePaths, SOME_ID } from "@parley/protocol/testing";
import { describe, expect, it } from "vitest";
import { ParleyClient, ParleySendInputError } from "./client.ts";

const C1 = "00000000-0000-4000-8000-0000000000c1";

/** A socket that never opens: these tests only look at what send() accepts and queues. */
class ClosedSocket {
  readyState = 0;
  onopen = null;
  onmessage = null;
  onclose = null;
  onerror = null;
  send() {}
  close() {}
}

function newClient(): ParleyClient {
  return new ParleyClient({ url: "ws://gateway/ws?ticket=t", WebSocket: ClosedSocket });
}

describe("send() refuses the table of invalid sends", () => {
  it.each(INVALID_SENDS)("refuses $name, naming $paths", (c) => {
    const client = newClient();
    let thrown: unknown;
    try {
      client.send(c.conversationId ?? C1, c.body, c.options);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ParleySendInputError);
    expect(thrown).toBeInstanceOf(RangeError);
    const error = thrown as ParleySendInputError;
    expect(issuePaths(error.issues)).toEqual(c.paths);
    for (const path of c.paths) expect(error.message).toContain(`${path}: `);
    expect(client.getOutbox()).toEqual([]);
  });

  it("queues the same sends once the bad field is fixed (the control)", () => {
    const client = newClient();
    client.send(C1, "hi");
    client.send(C1, "", { attachmentIds: [SOME_ID] });
    client.send(C1, "re", { threadRootId: SOME_ID, alsoInChannel: true });
    // Absent-like options are left out, as before: no thread, no files.
    client.send(C1, "plain", { threadRootId: "", alsoInChannel: false, attachmentIds: [] });
    expect(
      client.getOutbox().map(({ body, threadRootId, alsoInChannel, attachmentIds }) => ({
        body,
        threadRootId,
        alsoInChannel,
        attachmentIds,
      })),
    ).toEqual([
      { body: "hi", threadRootId: undefined, alsoInChannel: undefined, attachmentIds: undefined },
      { body: "", threadRootId: undefined, alsoInChannel: undefined, attachmentIds: [SOME_ID] },
      { body: "re", threadRootId: SOME_ID, alsoInChannel: true, attachmentIds: undefined },
      { body: "plain", threadRootId: undefined, alsoInChannel: undefined, attachmentIds: undefined },
    ]);
  });
});
