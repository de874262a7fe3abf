/**
 * Synthetic Slack exports for the import tests, in Slack's documented layout
 * (https://slack.com/help/articles/220556107): users.json, channels.json, groups.json, dms.json,
 * mpims.json and a folder of `YYYY-MM-DD.json` day files per conversation. `awkwardExport` holds
 * the hard parts on purpose; `largeExport` is many plain messages with some threads.
 */
import yazl from "yazl";

/** Path → JSON value (or raw bytes) of an export. */
export type TExportFiles = Map<string, unknown>;

/** Zips the files (deflated, as Slack does) into a Buffer. */
export async function zipFiles(files: TExportFiles): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, value] of files) {
    zip.addBuffer(Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value, null, 1)), name);
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A Slack ts for day `day` (0 = 2023-11-14) at second `second`, microseconds `micro`. */
export function ts(day: number, second: number, micro = 0): string {
  return `${1_699_920_000 + day * 86_400 + second}.${String(micro).padStart(6, "0")}`;
}

/** The ts's day file name (UTC). */
function dayOf(t: string): string {
  return new Date(Number(t.split(".")[0]) * 1000).toISOString().slice(0, 10);
}

export const AWKWARD = {
  alice: "U0ALICE",
  bob: "U0BOB",
  carol: "U0CAROL",
  bot: "B0DEPLOY",
  random: "C0RANDOM",
  cafe: "C0CAFE",
  secret: "G0SECRET",
  dm: "D0ALICEBOB",
  mpim: "G0MPIM",
  /** The root of the thread in #random (pinned, reacted to). */
  rootTs: ts(0, 100),
  replyTs: ts(0, 200),
  broadcastTs: ts(0, 300),
  editedTs: ts(0, 400),
  botTs: ts(0, 500),
  fileTs: ts(0, 600),
  tombstoneTs: ts(1, 100),
  tombstoneReplyTs: ts(1, 200),
  skinToneTs: ts(1, 300),
} as const;

/** A 1×1 PNG: the bytes of `diagram.png` (F0DIAGRAM) in the awkward export's `__uploads/`. */
export const DIAGRAM_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);
/** The bytes of `notes.txt` (F0NOTES), in slackdump's standard layout (`<folder>/attachments/`). */
export const NOTES_TXT = Buffer.from("remember the milk\n");

/** Messages of #random in time order as the importer should write them (bodies after conversion). */
export const RANDOM_IMPORTED_TS = [
  AWKWARD.rootTs,
  AWKWARD.replyTs,
  AWKWARD.broadcastTs,
  AWKWARD.editedTs,
  AWKWARD.botTs,
  AWKWARD.fileTs,
  AWKWARD.tombstoneTs,
  AWKWARD.tombstoneReplyTs,
  AWKWARD.skinToneTs,
];

/**
 * The awkward export. `aliceEmail` is the e-mail of an existing Parley user (matched, not created).
 * Awkward parts: a name taken in Parley (#random), a unicode channel name, unicode people names, a
 * deleted user without an e-mail, a bot message, a thread with a reply and a broadcast, an edit,
 * reactions (one with a skin tone), a pin, files — one missing from the zip, one in slackdump's
 * `__uploads/<id>/<name>` layout, one there of a blocked type, one in its standard
 * `<folder>/attachments/<id>-<name>` layout — a join notice, a tombstone root with a reply, HTML
 * escapes and a mention, an archived channel, a private channel, a DM and a group DM, and the day
 * files of #random out of order inside a day.
 */
export function awkwardExport(aliceEmail: string): TExportFiles {
  const A = AWKWARD;
  const files: TExportFiles = new Map();
  files.set("users.json", [
    {
      id: A.alice,
      name: "alice",
      real_name: "Alice",
      profile: { email: aliceEmail.toUpperCase(), real_name: "Alice" },
    },
    { id: A.bob, name: "bob", profile: { email: "bob.import@example.com", real_name: "Bøb Ñandú 🚀" } },
    { id: A.carol, name: "carol", deleted: true, profile: { real_name: "Carol (gone)" } },
  ]);
  files.set("channels.json", [
    {
      id: A.random,
      name: "random",
      created: 1_699_000_000,
      creator: A.alice,
      members: [A.alice, A.bob, A.carol],
      topic: { value: "Anything goes" },
      pins: [{ id: A.rootTs, type: "C", created: 1_699_920_900, user: A.bob }],
    },
    {
      id: A.cafe,
      name: "café-ñoño",
      created: 1_699_000_100,
      creator: A.bob,
      members: [A.bob],
      is_archived: true,
    },
  ]);
  files.set("groups.json", [
    {
      id: A.secret,
      name: "secret-plans",
      created: 1_699_000_200,
      creator: A.alice,
      members: [A.alice, A.bob],
    },
  ]);
  files.set("dms.json", [{ id: A.dm, created: 1_699_000_300, members: [A.alice, A.bob] }]);
  files.set("mpims.json", [
    {
      id: A.mpim,
      name: "mpdm-alice--bob--carol-1",
      created: 1_699_000_400,
      members: [A.alice, A.bob, A.carol],
    },
  ]);
  const random = [
    {
      type: "message",
      subtype: "channel_join",
      ts: ts(0, 50),
      user: A.bob,
      text: "<@U0BOB> has joined the channel",
    },
    {
      type: "message",
      ts: A.rootTs,
      user: A.alice,
      text: "Hello <@U0BOB> &amp; all &lt;3",
      thread_ts: A.rootTs,
      reply_count: 2,
      replies: [
        { user: A.bob, ts: A.replyTs },
        { user: A.bob, ts: A.broadcastTs },
      ],
      reactions: [{ name: "+1", users: [A.bob, A.carol], count: 2 }],
      pinned_to: [A.random],
    },
    {
      type: "message",
      ts: A.replyTs,
      user: A.bob,
      text: "a reply",
      thread_ts: A.rootTs,
      parent_user_id: A.alice,
    },
    {
      type: "message",
      subtype: "thread_broadcast",
      ts: A.broadcastTs,
      user: A.bob,
      text: "a broadcast reply",
      thread_ts: A.rootTs,
      parent_user_id: A.alice,
    },
    {
      type: "message",
      ts: A.editedTs,
      user: A.carol,
      text: "fixed typo",
      edited: { user: A.carol, ts: ts(0, 450) },
    },
    {
      type: "message",
      subtype: "bot_message",
      ts: A.botTs,
      bot_id: A.bot,
      username: "deploybot",
      text: "Deployed v1",
    },
    {
      type: "message",
      ts: A.fileTs,
      user: A.alice,
      text: "see attached",
      files: [
        {
          id: "F0REPORT",
          name: "report.pdf",
          mimetype: "application/pdf",
          size: 1234,
          url_private: "https://files.slack.com/x",
        },
        {
          id: "F0DIAGRAM",
          name: "diagram.png",
          mimetype: "image/png",
          size: DIAGRAM_PNG.length,
          url_private: "https://files.slack.com/y",
        },
        { id: "F0TOOL", name: "tool.exe", mimetype: "application/x-msdownload", size: 4 },
      ],
    },
  ];
  files.set("__uploads/F0DIAGRAM/diagram.png", DIAGRAM_PNG);
  files.set("__uploads/F0TOOL/tool.exe", Buffer.from("MZ\u0090\u0000"));
  files.set("secret-plans/attachments/F0NOTES-notes.txt", NOTES_TXT);
  // Out of order within the day: the importer sorts by ts.
  files.set(`random/${dayOf(A.rootTs)}.json`, [...random].reverse());
  files.set(`random/${dayOf(A.tombstoneTs)}.json`, [
    {
      type: "message",
      subtype: "tombstone",
      ts: A.tombstoneTs,
      user: "USLACKBOT",
      text: "This message was deleted.",
      thread_ts: A.tombstoneTs,
      hidden: true,
    },
    { type: "message", ts: A.tombstoneReplyTs, user: A.alice, text: "orphaned?", thread_ts: A.tombstoneTs },
    {
      type: "message",
      ts: A.skinToneTs,
      user: A.bob,
      text: "ok",
      reactions: [{ name: "thumbsup::skin-tone-2", users: [A.alice], count: 1 }],
    },
  ]);
  files.set(`café-ñoño/${dayOf(ts(0, 10))}.json`, [
    { type: "message", ts: ts(0, 10), user: A.bob, text: "ça va? 日本語" },
  ]);
  files.set(`secret-plans/${dayOf(ts(0, 20))}.json`, [
    {
      type: "message",
      ts: ts(0, 20),
      user: A.alice,
      text: "private stuff",
      files: [{ id: "F0NOTES", name: "notes.txt", mimetype: "text/plain", size: NOTES_TXT.length }],
    },
  ]);
  files.set(`${A.dm}/${dayOf(ts(0, 30))}.json`, [
    { type: "message", ts: ts(0, 30), user: A.alice, text: "psst" },
    { type: "message", ts: ts(0, 31), user: A.bob, text: "hi back" },
  ]);
  files.set(`mpdm-alice--bob--carol-1/${dayOf(ts(0, 40))}.json`, [
    { type: "message", ts: ts(0, 40), user: A.carol, text: "three of us" },
  ]);
  return files;
}

/** One channel (`big`) of `count` messages by two users over many days; every 50th starts a thread of 3 replies. */
export function largeExport(count: number): TExportFiles {
  const files: TExportFiles = new Map();
  files.set("users.json", [
    { id: "U0L1", name: "l1", profile: { email: "large-one@example.com", real_name: "Large One" } },
    { id: "U0L2", name: "l2", profile: { email: "large-two@example.com", real_name: "Large Two" } },
  ]);
  files.set("channels.json", [
    { id: "C0BIG", name: "big-import", created: 1_699_000_000, creator: "U0L1", members: ["U0L1", "U0L2"] },
  ]);
  const days = new Map<string, object[]>();
  let root = "";
  for (let i = 0; i < count; i++) {
    const t = ts(Math.floor(i / 1000), (i % 1000) * 60, i % 7);
    const inThread = i % 50 >= 1 && i % 50 <= 3;
    if (i % 50 === 0) root = t;
    const message = {
      type: "message",
      ts: t,
      user: i % 2 === 0 ? "U0L1" : "U0L2",
      text: `message ${i}`,
      ...(inThread ? { thread_ts: root } : {}),
    };
    const day = `big-import/${dayOf(t)}.json`;
    const list = days.get(day) ?? [];
    list.push(message);
    days.set(day, list);
  }
  for (const [name, messages] of days) files.set(name, messages);
  return files;
}

/**
 * A zip holding `users.json` and one entry named `unsafe` (e.g. `../evil.json`, `/etc/passwd`),
 * which zip libraries refuse to write: it is zipped under a safe name of the same length and the
 * name patched in afterwards (local header and central directory alike).
 */
export async function unsafeZip(unsafe: string): Promise<Buffer> {
  const safe = "x".repeat(unsafe.length);
  const zip = await zipFiles(
    new Map<string, unknown>([
      [safe, []],
      ["users.json", []],
    ]),
  );
  const from = Buffer.from(safe);
  const to = Buffer.from(unsafe);
  for (let at = zip.indexOf(from); at !== -1; at = zip.indexOf(from, at + 1)) to.copy(zip, at);
  return zip;
}
