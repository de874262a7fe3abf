/**
 * Slash commands on the realtime send path (server-side: the web composer and the SDK). The rule,
 * applied to a send's trimmed body when it has no attachments:
 * - `//…` is text: one leading slash is removed (`//deploy` sends `/deploy`);
 * - `/name …` where `name` is a REGISTERED command is not stored: Parley POSTs Slack's slash-command
 *   form to the command's callback and the send is answered without a message (no seq). The
 *   invocation is recorded first under (user, clientMsgId), so a resend of the same send (the SDK
 *   resends unacked sends after a reconnect) is answered `duplicate` and never calls the app twice;
 * - anything else (an unregistered `/word`, `/usr/bin`) is sent as text, unchanged.
 * The rule is the same for every realtime client; the tRPC `messages.send` fallback does not run
 * commands yet (its result type has no room for "no message"; docs/integrations.md).
 *
 * The callback runs off the send (the send answers at once): signed like Slack
 * (`X-Slack-Signature: v0=HMAC_SHA256(secret, "v0:" + ts + ":" + body)`), 3 s per attempt, retried
 * on network errors and 5xx up to `retries` more times with exponential backoff; the 2xx answer's
 * body (JSON, or plain text → ephemeral) is delivered by answers.ts; a failure tells the caller
 * (ephemeral). Callbacks go through outbound.ts (the SSRF guard).
 */
import { createHmac, randomBytes } from "node:crypto";
import type { TDb } from "@parley/db";
import { loadAccess, requireMember, requireNotArchived } from "../access.ts";
import type { TActor } from "../actor.ts";
import { parseInput } from "../errors.ts";
import { processLogger } from "../logging.ts";
import { sendMessage, type TSendMessageResult } from "../messages/send.ts";
import { sendValidated } from "../messages/send-validated.ts";
import { ZSendMessage } from "../schemas.ts";
import { WORKSPACE_ID } from "../workspace-id.ts";
import { deliverAnswer, parseAnswer, sendEphemeral, type TInvocation } from "./answers.ts";
import { CallbackRefusedError, postCallback } from "./outbound.ts";
import { isHookError } from "./post.ts";
import { createResponseUrl, responseUrlPath } from "./responses.ts";

export type TSlashCommandOptions = {
  /** The server's public origin; response_url is built on it. */
  publicUrl: string;
  /** SLASH_COMMAND_ALLOW_HOSTS: hosts the guard lets through on internal addresses. */
  allowHosts: readonly string[];
  /** Per attempt (Slack: 3 s). */
  timeoutMs: number;
  /** Extra attempts after a network error or 5xx. */
  retries: number;
  /** First backoff; doubles per retry. */
  baseDelayMs: number;
};

let options: TSlashCommandOptions = {
  publicUrl: "http://localhost:3000",
  allowHosts: [],
  timeoutMs: 3_000,
  retries: 2,
  baseDelayMs: 500,
};

/** Sets the callbacks' options (apps call it once from their settings; tests shorten the times). */
export function configureSlashCommands(next: Partial<TSlashCommandOptions>): void {
  options = { ...options, ...next };
}

/** Callbacks still running (tests await them; a shutdown may too). */
const inFlight = new Set<Promise<void>>();

/** Resolves when every callback started so far has finished (answers delivered). */
export async function settleSlashCommands(): Promise<void> {
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
}

const INVOCATION_RE = /^\/([a-z][a-z0-9_-]{0,31})(?:\s+([\s\S]*))?$/i;

/** What a body means on the send path: text (maybe unescaped) or a possible command. */
export function readSlash(body: string): { text: string } | { command: string; args: string } {
  if (body.startsWith("//")) return { text: body.slice(1) };
  const m = INVOCATION_RE.exec(body);
  if (!m) return { text: body };
  return { command: (m[1] as string).toLowerCase(), args: (m[2] ?? "").trim() };
}

/** A send answered by a command instead of a message. */
export type TCommandSendResult = { command: string; duplicate: boolean; message?: undefined };

/**
 * The composer/SDK send: a registered `/command` runs (see the header), anything else is sent by
 * `sendMessage` (with `//` unescaped). Authorization: the caller must be a member of the
 * conversation, which must not be archived, exactly as for sending.
 */
export async function sendOrRunCommand(
  db: TDb,
  actor: TActor,
  input: unknown,
): Promise<TSendMessageResult | TCommandSendResult> {
  const data = parseInput(ZSendMessage, input);
  // Parsed once here; `sendValidated` does not parse again (it was a second zod pass per send).
  if (!data.body.startsWith("/") || (data.attachmentIds?.length ?? 0) > 0)
    return sendValidated(db, actor, data);
  const read = readSlash(data.body);
  if ("text" in read) return sendMessage(db, actor, { ...data, body: read.text });
  const command = await db.slashCommand.findUnique({
    where: { command: read.command },
    select: { id: true, command: true, callbackUrl: true, signingSecret: true, botId: true },
  });
  if (!command) return sendValidated(db, actor, data);
  const access = await loadAccess(db, actor, data.conversationId);
  requireMember(access);
  requireNotArchived(access);
  const inv: TInvocation & { commandId: string; clientMsgId: string } = {
    commandId: command.id,
    clientMsgId: data.clientMsgId,
    command: command.command,
    botId: command.botId,
    conversationId: data.conversationId,
    userId: actor.userId,
    threadRootId: data.threadRootId ?? null,
  };
  const response = await createResponseUrl(db, inv);
  if (!response) return { command: command.command, duplicate: true };
  await db.slashCommand.update({ where: { id: command.id }, data: { lastUsedAt: new Date() } });
  const user = await db.user.findUnique({ where: { id: actor.userId }, select: { name: true } });
  const form = new URLSearchParams({
    team_id: String(WORKSPACE_ID),
    team_domain: new URL(options.publicUrl).hostname,
    channel_id: data.conversationId,
    channel_name: access.name ?? "directmessage",
    user_id: actor.userId,
    user_name: user?.name ?? "",
    command: `/${command.command}`,
    text: read.args,
    response_url: new URL(responseUrlPath(response.id, response.secret), options.publicUrl).toString(),
    trigger_id: `${response.id}.${randomBytes(8).toString("hex")}`,
  }).toString();
  const run = callAndAnswer(db, inv, command, form).catch((err: unknown) => {
    processLogger().error({ err, command: command.command }, "slash command delivery failed");
  });
  inFlight.add(run);
  void run.finally(() => inFlight.delete(run));
  return { command: command.command, duplicate: false };
}

/** Slack's request signature for `body` at `timestamp` (seconds). */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** POSTs the form (signed, retried) and delivers the answer or the failure to the caller. */
async function callAndAnswer(
  db: TDb,
  inv: TInvocation,
  command: { command: string; callbackUrl: string; signingSecret: string },
  form: string,
): Promise<void> {
  const { timeoutMs, retries, baseDelayMs, allowHosts } = options;
  let failure = "the app did not answer";
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await sleep(baseDelayMs * 2 ** (attempt - 1));
    const ts = Math.floor(Date.now() / 1000);
    try {
      const answer = await postCallback(
        command.callbackUrl,
        form,
        {
          "content-type": "application/x-www-form-urlencoded",
          "user-agent": "Parley-Slash-Commands",
          "x-slack-request-timestamp": String(ts),
          "x-slack-signature": slackSignature(command.signingSecret, ts, form),
          ...(attempt > 0 ? { "x-slack-retry-num": String(attempt) } : {}),
        },
        { timeoutMs, allowHosts },
      );
      if (answer.status >= 500) {
        failure = `the app answered HTTP ${answer.status}`;
        continue;
      }
      if (answer.status < 200 || answer.status >= 300) {
        failure = `the app answered HTTP ${answer.status}`;
        break;
      }
      await deliverBody(db, inv, answer.body);
      return;
    } catch (err) {
      if (err instanceof CallbackRefusedError) {
        failure = "its address is not allowed";
        break;
      }
      failure =
        err instanceof Error && /timed out/.test(err.message)
          ? "the app did not answer in time"
          : "the app could not be reached";
    }
  }
  await sendEphemeral(db, inv, `/${command.command} failed: ${failure}.`);
}

/** A 2xx body: empty (acknowledged), JSON (an answer) or plain text (an ephemeral answer). */
async function deliverBody(db: TDb, inv: TInvocation, body: string): Promise<void> {
  const text = body.trim();
  if (text === "") return;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    await sendEphemeral(db, inv, text);
    return;
  }
  try {
    await deliverAnswer(db, inv, parseAnswer(json));
  } catch (err) {
    if (!isHookError(err)) throw err;
    await sendEphemeral(
      db,
      inv,
      `/${inv.command} failed: the app's answer was not understood (${err.code}).`,
    );
  }
}
