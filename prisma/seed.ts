// `npm run db:seed`: a demo workspace to click around in. Refuses to touch a database that already
// has a workspace. Everyone signs in with the password below (owner: owner@parley.local).
import { createDb } from "@parley/db";
import { seedChannel, seedMessages, seedUser, seedWorkspace } from "@parley/db/seed";

const DEMO_PASSWORD = "parley-demo-password";

const LINES = [
  "Morning all!",
  "Has anyone looked at the release checklist yet?",
  "Deploy went out, watching the dashboards.",
  "Lunch?",
  "I pushed a fix for the flaky test.",
  "Can someone review my PR when you get a minute?",
  "Standup in 5.",
  "That bug only shows up on Safari, of course.",
  "Nice work on the search speedup 🚀",
  "Reminder: retro on Friday.",
  "Moving the meeting to 3pm.",
  "Docs are updated.",
];

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error("db:seed: DATABASE_URL is not set.");
    process.exitCode = 1;
    return;
  }
  const db = createDb(url);
  try {
    const existing = await db.workspace.findUnique({ where: { id: 1 } });
    if (existing || (await db.user.count()) > 0) {
      console.log(
        `db:seed: this database already has ${existing ? `the workspace "${existing.name}"` : "users"}; nothing seeded. ` +
          "To start over: node scripts/prisma.mjs migrate reset, then npm run db:seed.",
      );
      return;
    }

    await seedWorkspace(db, { name: "Parley Demo", allowOpenSignup: true });
    const owner = await seedUser(db, {
      email: "owner@parley.local",
      name: "Olivia Owner",
      password: DEMO_PASSWORD,
      role: "owner",
    });
    const alice = await seedUser(db, {
      email: "alice@parley.local",
      name: "Alice Admin",
      password: DEMO_PASSWORD,
      role: "admin",
    });
    const bob = await seedUser(db, {
      email: "bob@parley.local",
      name: "Bob Builder",
      password: DEMO_PASSWORD,
    });
    const carol = await seedUser(db, {
      email: "carol@parley.local",
      name: "Carol Coder",
      password: DEMO_PASSWORD,
    });
    const everyone = [owner.id, alice.id, bob.id, carol.id];

    const general = await seedChannel(db, {
      name: "general",
      topic: "Company-wide announcements and chatter",
      createdById: owner.id,
      memberIds: everyone,
    });
    const random = await seedChannel(db, {
      name: "random",
      topic: "Anything goes",
      createdById: owner.id,
      memberIds: everyone,
    });
    const leads = await seedChannel(db, {
      name: "leads",
      kind: "private_channel",
      topic: "Private: planning",
      createdById: owner.id,
      memberIds: [alice.id],
    });
    const dm = await seedChannel(db, { kind: "dm", createdById: owner.id, memberIds: [bob.id] });

    const line = (i: number) => LINES[i % LINES.length] as string;
    const history: [string, string[], number][] = [
      [general.id, everyone, 120],
      [random.id, [bob.id, carol.id, alice.id], 50],
      [leads.id, [owner.id, alice.id], 20],
      [dm.id, [owner.id, bob.id], 10],
    ];
    let total = 0;
    for (const [conversationId, senderId, count] of history) {
      total += (await seedMessages(db, { conversationId, senderId, count, body: line, stepMs: 7 * 60_000 }))
        .length;
    }
    console.log(
      `db:seed: created "Parley Demo" with 4 users, #general #random #leads (private), a DM and ${total} messages.\n` +
        `         Sign in as owner@parley.local (or alice@, bob@, carol@) with the password "${DEMO_PASSWORD}".`,
    );
  } finally {
    await db.$disconnect();
  }
}

main().catch((error: unknown) => {
  console.error("db:seed failed:", error);
  process.exitCode = 1;
});
