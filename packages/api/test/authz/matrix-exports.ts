/**
 * The authorization matrix's rows for data exports (part of MATRIX in matrix.ts; same actors and
 * outcomes). Everyone signed in may export their own data; only the workspace owner the
 * workspace; an export is seen and downloaded by whoever asked for it (and, for workspace exports,
 * the current owner) — anyone else gets "as unknown".
 */
import type { TDb } from "@parley/db";
import { F, N, ok, SIGNED_IN, signedOut, type TExpectations, type TMatrixRow } from "./outcomes.ts";

/** The workspace's owner only; every other signed-in user is refused outright. */
const OWNER_ONLY: TExpectations = {
  owner: ok,
  admin: F,
  member: F,
  guest: F,
  nonMember: F,
  removed: F,
  ...signedOut,
};

/** A queued export (the rows below never need a finished archive: authorization comes first). */
async function queuedExport(db: TDb, scope: "workspace" | "user", requestedById: string): Promise<string> {
  const row = await db.dataExport.create({ data: { scope, requestedById, status: "queued" } });
  return row.id;
}

export const EXPORT_ROWS: TMatrixRow[] = [
  { procedure: "exports.request", input: () => ({ scope: "user" }), expect: SIGNED_IN },
  {
    procedure: "exports.request",
    case: "the whole workspace",
    input: () => ({ scope: "workspace" }),
    expect: OWNER_ONLY,
  },
  {
    procedure: "exports.request",
    case: "the whole workspace in Slack's format",
    input: () => ({ scope: "workspace", format: "slack" }),
    // The owner passes authorization; the workspace export requested by the row above is still queued.
    expect: { ...OWNER_ONLY, owner: "CONFLICT" },
  },
  {
    procedure: "exports.request",
    case: "every conversation, private ones and DMs included (the full export)",
    input: () => ({ scope: "workspace", format: "slack", includePrivate: true }),
    // Admins too are refused: only the owner may export everyone's private conversations.
    expect: { ...OWNER_ONLY, owner: "CONFLICT" },
  },
  { procedure: "exports.list", expect: SIGNED_IN },
  {
    procedure: "exports.get",
    case: "a workspace export (asked for by the owner)",
    input: async (w) => ({ id: await queuedExport(w.db, "workspace", w.users.owner.id) }),
    expect: { ...OWNER_ONLY, admin: N, member: N, guest: N, nonMember: N, removed: N },
  },
  {
    procedure: "exports.get",
    case: "someone else's own export",
    input: async (w) => ({ id: await queuedExport(w.db, "user", w.spareId) }),
    expect: { ...SIGNED_IN, owner: N, admin: N, member: N, guest: N, nonMember: N, removed: N },
  },
  {
    procedure: "exports.downloadUrl",
    case: "a workspace export still being built",
    input: async (w) => ({ id: await queuedExport(w.db, "workspace", w.users.owner.id) }),
    // The owner may download it once it is ready (CONFLICT until then); nobody else learns it exists.
    expect: { ...OWNER_ONLY, owner: "CONFLICT", admin: N, member: N, guest: N, nonMember: N, removed: N },
  },
  {
    procedure: "exports.downloadUrl",
    case: "someone else's own export",
    input: async (w) => ({ id: await queuedExport(w.db, "user", w.spareId) }),
    expect: { ...SIGNED_IN, owner: N, admin: N, member: N, guest: N, nonMember: N, removed: N },
  },
];
