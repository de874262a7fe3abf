// Composable seeders shared by `npm run db:seed`, tests and benchmarks. Each returns what it
// created so callers can chain them; defaults are unique, so tests can call them freely in one
// database. They write rows directly (no events are published); seedMessages keeps the
// conversation log consistent (Event + Message rows with consecutive seqs, lastSeq bumped).
import { randomBytes } from "node:crypto";
import { hash } from "@node-rs/argon2";
import { EventKind, type TConversationEventPayload } from "@parley/protocol";
import {
  type Conversation,
  ConversationKind,
  dmKeyFor,
  MemberRole,
  type Message,
  SignupMode,
  type TDb,
  type User,
  UserRole,
  type Workspace,
} from "./index.ts";

const uniqueSuffix = () => randomBytes(4).toString("hex");

/**
 * Creates (or renames) the install's single workspace row. `allowOpenSignup` is the older spelling
 * of `signupMode: "open"` (false: invite_only), kept for existing callers.
 */
export async function seedWorkspace(
  db: TDb,
  options: {
    name?: string;
    signupMode?: SignupMode;
    signupDomains?: string[];
    allowOpenSignup?: boolean;
  } = {},
): Promise<Workspace> {
  const data = {
    name: options.name ?? "Parley",
    signupMode: options.signupMode ?? (options.allowOpenSignup ? SignupMode.open : SignupMode.invite_only),
    signupDomains: options.signupDomains ?? [],
  };
  return db.workspace.upsert({ where: { id: 1 }, create: { id: 1, ...data }, update: data });
}

// argon2 costs ~tens of ms per hash; seeding thousands of users with one password reuses one hash
// (still a valid, verifiable hash for that password).
const hashCache = new Map<string, Promise<string>>();
function hashPassword(password: string): Promise<string> {
  let hashed = hashCache.get(password);
  if (!hashed) {
    hashed = hash(password);
    hashCache.set(password, hashed);
  }
  return hashed;
}

/** A seeded user plus the plain-text password it can sign in with. */
export type TSeededUser = User & { password: string };

/** Creates a user; the e-mail is unique by default and the password hashed with argon2id. */
export async function seedUser(
  db: TDb,
  options: { email?: string; name?: string; password?: string; role?: UserRole } = {},
): Promise<TSeededUser> {
  const suffix = uniqueSuffix();
  const password = options.password ?? "seed-violet-harbor-lantern";
  const user = await db.user.create({
    data: {
      email: (options.email ?? `user-${suffix}@parley.test`).toLowerCase(),
      name: options.name ?? `User ${suffix}`,
      passwordHash: await hashPassword(password),
      role: options.role ?? UserRole.member,
    },
  });
  return { ...user, password };
}

/**
 * Creates a conversation with its memberships (the creator is always a member; owner of a
 * channel). Channels get a unique name by default; DMs and group DMs get a dmKey and no name.
 */
export async function seedChannel(
  db: TDb,
  options: {
    name?: string;
    kind?: ConversationKind;
    topic?: string;
    createdById: string;
    memberIds: readonly string[];
  },
): Promise<Conversation> {
  const kind = options.kind ?? ConversationKind.public_channel;
  const isDm = kind === ConversationKind.dm || kind === ConversationKind.group_dm;
  const memberIds = [...new Set([options.createdById, ...options.memberIds])];
  return db.conversation.create({
    data: {
      kind,
      name: isDm ? null : (options.name ?? `channel-${uniqueSuffix()}`).toLowerCase(),
      topic: options.topic ?? "",
      dmKey: isDm ? dmKeyFor(memberIds) : null,
      createdById: options.createdById,
      memberships: {
        create: memberIds.map((userId) => ({
          userId,
          role: !isDm && userId === options.createdById ? MemberRole.owner : MemberRole.member,
        })),
      },
    },
  });
}

/**
 * The message.created payload of a seeded message: the protocol's type (the fields core's sends
 * store; a seeded message has no thread, mentions or files), stored as JSON like core's.
 */
function createdPayload(message: Message, senderName: string): TConversationEventPayload<"message.created"> {
  return {
    message: {
      id: message.id,
      senderId: message.senderId,
      senderName,
      clientMsgId: message.clientMsgId,
      body: message.body,
      threadRootId: null,
      alsoInChannel: false,
      lastReplyAt: null,
      mentionedUserIds: [],
      mentionsAll: false,
      pinnedAt: null,
      pinnedById: null,
      createdAt: message.createdAt,
      attachments: [],
    },
  };
}

/**
 * Appends `count` messages to a conversation's log: one message.created Event and one Message per
 * seq, seqs consecutive after the current lastSeq, which is bumped under the row lock (so it is
 * safe next to concurrent senders). `senderId` may be a list: senders then take turns.
 * Timestamps are spaced `stepMs` apart, ending now.
 */
export async function seedMessages(
  db: TDb,
  options: {
    conversationId: string;
    senderId: string | readonly string[];
    count: number;
    body?: (index: number, seq: number) => string;
    stepMs?: number;
  },
): Promise<Message[]> {
  const { conversationId, count } = options;
  if (count <= 0) return [];
  const senders = typeof options.senderId === "string" ? [options.senderId] : options.senderId;
  if (senders.length === 0) throw new Error("seedMessages: senderId must name at least one user");
  const body = options.body ?? ((_, seq) => `Message ${seq}`);
  const stepMs = options.stepMs ?? 1000;
  const now = Date.now();
  const batchId = uniqueSuffix();

  return db.$transaction(
    async (tx) => {
      const senderRows = await tx.user.findMany({
        where: { id: { in: [...senders] } },
        select: { id: true, name: true },
      });
      const names = new Map(senderRows.map((u) => [u.id, u.name]));
      const [row] = await tx.$queryRaw<{ lastSeq: number }[]>`
        UPDATE "Conversation" SET "lastSeq" = "lastSeq" + ${count}::int
        WHERE id = ${conversationId}::uuid
        RETURNING "lastSeq"`;
      if (!row) throw new Error(`seedMessages: conversation ${conversationId} not found`);
      const firstSeq = row.lastSeq - count + 1;
      const messages: Message[] = [];
      // Chunks keep each statement well under Postgres' 65k bind-parameter limit.
      for (let start = 0; start < count; start += 1000) {
        const size = Math.min(1000, count - start);
        const rows = Array.from({ length: size }, (_, k) => {
          const index = start + k;
          const seq = firstSeq + index;
          return {
            conversationId,
            seq,
            senderId: senders[index % senders.length] as string,
            clientMsgId: `seed-${batchId}-${seq}`,
            body: body(index, seq),
            createdAt: new Date(now - (count - 1 - index) * stepMs),
          };
        });
        const created = await tx.message.createManyAndReturn({ data: rows });
        created.sort((a, b) => a.seq - b.seq);
        await tx.event.createMany({
          data: created.map((message) => ({
            conversationId,
            seq: message.seq,
            kind: EventKind.MessageCreated,
            actorId: message.senderId,
            createdAt: message.createdAt,
            payload: createdPayload(message, names.get(message.senderId) ?? ""),
          })),
        });
        messages.push(...created);
      }
      return messages;
    },
    { timeout: 60_000 },
  );
}
