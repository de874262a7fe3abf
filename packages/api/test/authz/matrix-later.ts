/**
 * The authorization matrix's rows for saved messages and reminders (part of MATRIX in matrix.ts;
 * same actors and outcomes). Both are the caller's own: anyone signed in lists theirs; saving and
 * setting a reminder need the message readable now (the target's members; everyone else gets "as
 * unknown"); unsaving answers the same for any id; a reminder is cancelled by its owner only.
 */

import { N, ok, SIGNED_IN, signedOut, TARGET_MEMBERS, type TMatrixRow } from "./outcomes.ts";
import type { TWorld } from "./world.ts";

const message = (w: TWorld) => ({ messageId: w.message.id });

/** A pending reminder of the member's on the target's message. */
async function membersReminder(w: TWorld): Promise<{ reminderId: string }> {
  const row = await w.db.reminder.create({
    data: { userId: w.users.member.id, messageId: w.message.id, dueAt: new Date(Date.now() + 3_600_000) },
  });
  return { reminderId: row.id };
}

export const LATER_ROWS: TMatrixRow[] = [
  { procedure: "saved.list", input: () => ({}), expect: SIGNED_IN },
  { procedure: "saved.ids", input: (w) => ({ conversationId: w.target.id }), expect: TARGET_MEMBERS },
  { procedure: "saved.save", input: message, expect: TARGET_MEMBERS },
  // Removing one's own save: a no-op for a message never saved, whoever asks about whatever id.
  { procedure: "saved.unsave", input: message, expect: SIGNED_IN },
  { procedure: "reminders.list", expect: SIGNED_IN },
  {
    procedure: "reminders.create",
    input: (w) => ({ ...message(w), when: { kind: "in", minutes: 60 } }),
    expect: TARGET_MEMBERS,
  },
  {
    procedure: "reminders.cancel",
    input: membersReminder,
    expect: { owner: N, admin: N, member: ok, guest: N, nonMember: N, removed: N, ...signedOut },
  },
];
