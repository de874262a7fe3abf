/**
 * Issue 14, authorization matrix over the socket: every client command type of the protocol (its
 * frame union), sent by a workspace member about a private conversation they are not in, and by a
 * guest about a public channel they are not in (and a person they share no channel with), answers
 * exactly what the same command about an unknown id answers, and writes nothing. A bot token's
 * socket (the bot events stream) about a channel the bot is in but its token does not reach gets
 * its row of BOT_OUT_OF_SCOPE and writes nothing. A command type without a row in FRAMES (or
 * BOT_OUT_OF_SCOPE) fails the test.
 */
import { randomUUID } from "node:crypto";
import { createBot, createBotToken, createChannel } from "@parley/core";
import type { TDb } from "@parley/db";
import { seedUser } from "@parley/db/seed";
import { tableDigests } from "@parley/db/testing";
import {
  ClientCommandSchemas,
  PROTOCOL_VERSION,
  type TClientCommandType,
  type TServerEvent,
  ZClientCommand,
} from "@parley/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionTicket, settle, startTestRealtime, TestClient } from "./test-helpers.ts";

/** The ids one frame is about: a conversation and a person. */
type TTarget = { conversationId: string; userId: string };

/**
 * One row per command type: the frame to send about `t` (`n` makes command ids unique) and which
 * frame ends its answer (`null`: none is expected, e.g. a typing notice that is allowed).
 */
const FRAMES: Record<TClientCommandType, { frame: (t: TTarget, n: number) => Record<string, unknown> }> = {
  hello: {
    frame: (t) => ({ type: "hello", protocolVersion: PROTOCOL_VERSION, cursors: { [t.conversationId]: 0 } }),
  },
  ping: { frame: (_t, n) => ({ type: "ping", id: `ping${n}` }) },
  send: {
    frame: (t, n) => ({
      type: "send",
      id: `s${n}`,
      conversationId: t.conversationId,
      clientMsgId: randomUUID(),
      body: "hi",
    }),
  },
  markRead: {
    frame: (t, n) => ({ type: "markRead", id: `m${n}`, conversationId: t.conversationId, seq: 1 }),
  },
  delivered: { frame: (t, n) => ({ type: "delivered", id: `d${n}`, cursors: { [t.conversationId]: 1 } }) },
  typing: { frame: (t) => ({ type: "typing", conversationId: t.conversationId }) },
  sync: { frame: (t, n) => ({ type: "sync", id: `y${n}`, cursors: { [t.conversationId]: 0 } }) },
  watchPresence: { frame: (t, n) => ({ type: "watchPresence", id: `w${n}`, userIds: [t.userId] }) },
  setPresence: { frame: (_t, n) => ({ type: "setPresence", id: `p${n}`, status: "online" }) },
};

/**
 * A bot token's socket, each command about a channel the bot is a member of but its token does not
 * reach: answered like an unknown id (a replay lists it as not found, a delivery report is dropped)
 * or refused FORBIDDEN (what the Web API answers out of scope; presence is never a bot's).
 */
const BOT_OUT_OF_SCOPE: Record<TClientCommandType, "like unknown" | "FORBIDDEN"> = {
  hello: "like unknown",
  ping: "like unknown",
  send: "FORBIDDEN",
  markRead: "FORBIDDEN",
  delivered: "like unknown",
  typing: "FORBIDDEN",
  sync: "like unknown",
  watchPresence: "FORBIDDEN",
  setPresence: "FORBIDDEN",
};

let db: TDb;
let port: number;
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ db, port, stop } = await startTestRealtime());
});
afterAll(async () => {
  await stop?.();
});

/**
 * Sends `frame` and returns every frame that came back for it: up to the one with its id (or, for
 * frames without an id, a `synced`/`error`), plus whatever follows within a short settle.
 */
async function answerTo(socket: TestClient, frame: Record<string, unknown>): Promise<TServerEvent[]> {
  const before = socket.frames.length;
  socket.send(frame);
  const id = frame.id;
  const isAnswer = (f: TServerEvent) =>
    id !== undefined ? "id" in f && f.id === id : f.type === "synced" || f.type === "error";
  const hasAnswer = () => socket.frames.slice(before).some(isAnswer);
  // typing is never answered when allowed; everything else always is.
  if (frame.type !== "typing") await socket.waitFor((f) => socket.frames.indexOf(f) >= before && isAnswer(f));
  await settle(frame.type === "typing" && !hasAnswer() ? 300 : 50);
  return socket.frames.slice(before);
}

describe("socket commands: authorization matrix (issue 14)", () => {
  it("has a row for every command type of the protocol", () => {
    const union = ZClientCommand.options.map((o) => o.shape.type.value).sort();
    expect(Object.keys(ClientCommandSchemas).sort()).toEqual(union);
    expect(Object.keys(FRAMES).sort()).toEqual(union);
    expect(Object.keys(BOT_OUT_OF_SCOPE).sort()).toEqual(union);
  });

  it("answers a non-member and a guest like unknown ids, and writes nothing", async () => {
    const [owner, other, nonMember, guest] = await Promise.all([
      seedUser(db, { role: "owner", name: "Owner" }),
      seedUser(db, { name: "Other" }),
      seedUser(db, { name: "NonMember" }),
      seedUser(db, { role: "guest", name: "Guest" }),
    ]);
    const asOwner = { userId: owner.id, role: owner.role };
    const priv = await createChannel(db, asOwner, {
      name: `priv-${randomUUID().slice(0, 8)}`,
      isPrivate: true,
      memberIds: [other.id],
    });
    const open = await createChannel(db, asOwner, {
      name: `open-${randomUUID().slice(0, 8)}`,
      memberIds: [other.id],
    });
    const cases = [
      // A member may see every person, so only the conversation is unknown to them.
      {
        who: nonMember,
        label: "a member about a private channel",
        target: { conversationId: priv.id, userId: randomUUID() },
      },
      // A guest sees neither public channels they are not in nor people they share no channel with.
      {
        who: guest,
        label: "a guest about a public channel and a stranger",
        target: { conversationId: open.id, userId: owner.id },
      },
    ];
    let n = 0;
    for (const c of cases) {
      const socket = await TestClient.connect(port, await sessionTicket(db, c.who.id));
      for (const type of Object.keys(FRAMES) as TClientCommandType[]) {
        n += 1;
        const unknown: TTarget = { conversationId: randomUUID(), userId: randomUUID() };
        const before = await tableDigests(db);
        const asked = await answerTo(socket, FRAMES[type].frame(c.target, n));
        const after = await tableDigests(db);
        const control = await answerTo(socket, FRAMES[type].frame(unknown, n));
        const blank = (frames: TServerEvent[], t: TTarget) =>
          JSON.stringify(frames)
            .replaceAll(t.conversationId, "<conversation>")
            .replaceAll(t.userId, "<user>");
        const where = `${type} by ${c.label}`;
        expect.soft(blank(asked, c.target), where).toBe(blank(control, unknown));
        const wrote = Object.keys(after).filter((t) => before[t] !== after[t]);
        expect.soft(wrote, `${where}: wrote`).toEqual([]);
      }
      await socket.close();
    }
  });

  it("holds a bot token's socket to its scope: out-of-scope channels refused or unknown, nothing written", async () => {
    const owner = await seedUser(db, { role: "owner", name: "Bot Owner" });
    const asOwner = { userId: owner.id, role: owner.role };
    const bot = await createBot(db, asOwner, { name: "Matrix Bot" });
    const channel = (name: string) =>
      createChannel(db, asOwner, { name: `${name}-${randomUUID().slice(0, 8)}`, memberIds: [bot.id] });
    const [mine, outside] = [await channel("mine"), await channel("outside")];
    const { token } = await createBotToken(db, asOwner, {
      botId: bot.id,
      name: "matrix",
      channelIds: [mine.id],
      canRead: true,
      canWrite: true,
    });
    const socket = await TestClient.connectWithBearer(port, token);
    const target: TTarget = { conversationId: outside.id, userId: owner.id };
    let n = 100;
    for (const type of Object.keys(FRAMES) as TClientCommandType[]) {
      n += 1;
      const unknown: TTarget = { conversationId: randomUUID(), userId: randomUUID() };
      const before = await tableDigests(db);
      const asked = await answerTo(socket, FRAMES[type].frame(target, n));
      const after = await tableDigests(db);
      const where = `${type} by a bot token out of its scope`;
      if (BOT_OUT_OF_SCOPE[type] === "FORBIDDEN") {
        expect
          .soft(asked, where)
          .toContainEqual(expect.objectContaining({ type: "error", code: "FORBIDDEN" }));
      } else {
        const control = await answerTo(socket, FRAMES[type].frame(unknown, n));
        const blank = (frames: TServerEvent[], t: TTarget) =>
          JSON.stringify(frames)
            .replaceAll(t.conversationId, "<conversation>")
            .replaceAll(t.userId, "<user>");
        expect.soft(blank(asked, target), where).toBe(blank(control, unknown));
      }
      const wrote = Object.keys(after).filter((t) => before[t] !== after[t]);
      expect.soft(wrote, `${where}: wrote`).toEqual([]);
    }
    await socket.close();
  });
});
