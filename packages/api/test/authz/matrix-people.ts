/**
 * The authorization matrix's rows for custom emoji, user groups, profiles and avatars (part of
 * MATRIX in matrix.ts; same actors and outcomes). Emoji and group lists are for everyone signed
 * in; adding emoji is not for guests; groups are administered by admins; a profile or avatar is
 * changed by its person or an admin who outranks them; a guest asking about someone they share no
 * channel with gets "as unknown".
 */
import { randomUUID } from "node:crypto";
import { ADMINS, F, N, ok, SIGNED_IN, self, type TMatrixRow } from "./outcomes.ts";
import { SEEDED_GROUP } from "./world.ts";

const short = () => randomUUID().slice(0, 8);

/** Only admins act on someone else's profile (members are refused before the person is looked up). */
const SOMEONE_ELSES = ADMINS;

export const PEOPLE_ROWS: TMatrixRow[] = [
  // custom emoji
  { procedure: "emoji.list", expect: SIGNED_IN },
  { procedure: "emoji.policy", expect: SIGNED_IN },
  { procedure: "emoji.setPolicy", input: () => ({ adminsOnly: false }), expect: ADMINS },
  {
    procedure: "emoji.create",
    input: (w) => ({ name: `authz_${short()}`, image: w.png.toString("base64") }),
    // Members and admins add emoji (the workspace does not restrict it); guests never.
    expect: { ...SIGNED_IN, guest: F },
  },
  {
    procedure: "emoji.delete",
    input: async (w) => ({ name: await w.freshEmoji("member") }),
    // Its creator (the member) or an admin; other members and guests are refused.
    expect: { ...ADMINS, member: ok },
  },
  { procedure: "emoji.imageUrl", input: (w) => ({ id: w.emojiId }), expect: SIGNED_IN },

  // user groups: listed for everyone signed in (a guest sees only the members they may see)
  {
    procedure: "userGroups.list",
    expect: SIGNED_IN,
    reveals: (result, actor) => {
      const groups = result as { handle: string; memberIds: string[]; memberCount: number }[];
      // The member and the stranger: the guest shares no channel with the stranger.
      const group = groups.find((g) => g.handle === SEEDED_GROUP);
      return group?.memberCount === 2 && group.memberIds.length === (actor === "guest" ? 1 : 2);
    },
  },
  { procedure: "userGroups.create", input: () => ({ handle: `g-${short()}`, name: "New" }), expect: ADMINS },
  {
    procedure: "userGroups.update",
    input: async (w) => ({ groupId: await w.freshGroup(), name: "Renamed" }),
    expect: ADMINS,
  },
  { procedure: "userGroups.delete", input: async (w) => ({ groupId: await w.freshGroup() }), expect: ADMINS },

  // profiles
  { procedure: "profile.get", input: (w) => ({ userId: w.spareId }), expect: SIGNED_IN },
  {
    procedure: "profile.get",
    case: "a person the guest shares no channel with",
    input: (w) => ({ userId: w.stranger.id }),
    expect: { ...SIGNED_IN, guest: N },
  },
  { procedure: "profile.update", input: () => ({ title: `t-${short()}` }), expect: SIGNED_IN },
  {
    procedure: "profile.update",
    case: "someone else's (a member)",
    input: async (w) => ({ userId: await w.freshUser(), title: "changed" }),
    expect: SOMEONE_ELSES,
  },
  {
    procedure: "profile.update",
    case: "the workspace owner's",
    input: (w) => ({ userId: w.users.owner.id, title: `t-${short()}` }),
    // The owner's own; no admin outranks the owner.
    expect: { ...SOMEONE_ELSES, admin: F },
  },

  // avatars
  {
    procedure: "profile.createAvatarUpload",
    input: () => ({ size: 100, mime: "image/png" }),
    expect: SIGNED_IN,
  },
  {
    procedure: "profile.completeAvatarUpload",
    input: async (w, actor) => {
      await w.putAvatarUpload(self(w, actor));
      return {};
    },
    expect: SIGNED_IN,
  },
  {
    procedure: "profile.completeAvatarUpload",
    case: "someone else's (a member)",
    input: async (w) => {
      const userId = await w.freshUser();
      await w.putAvatarUpload(userId);
      return { userId };
    },
    expect: SOMEONE_ELSES,
  },
  { procedure: "profile.removeAvatar", input: () => ({}), expect: SIGNED_IN },
  {
    procedure: "profile.avatarUrl",
    input: (w) => ({ userId: w.spareId, avatarId: w.spareAvatarId }),
    expect: SIGNED_IN,
  },
  {
    procedure: "profile.avatarUrl",
    case: "a person the guest shares no channel with",
    input: (w) => ({ userId: w.stranger.id, avatarId: w.stranger.avatarId }),
    expect: { ...SIGNED_IN, guest: N },
  },
];
