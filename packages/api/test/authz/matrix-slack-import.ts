/**
 * The authorization matrix's rows for Slack imports (part of MATRIX in matrix.ts; same actors and
 * outcomes): workspace admins and the owner only, for every procedure.
 */
import type { TDb } from "@parley/db";
import { ADMINS, type TMatrixRow } from "./outcomes.ts";

/** An import whose zip was never uploaded (authorization comes before the upload check). */
async function uploadingImport(db: TDb, requestedById: string): Promise<string> {
  const row = await db.slackImport.create({
    data: {
      requestedById,
      fileName: "export.zip",
      size: 10n,
      objectKey: `imports/${crypto.randomUUID()}/slack-export.zip`,
    },
  });
  return row.id;
}

export const SLACK_IMPORT_ROWS: TMatrixRow[] = [
  { procedure: "slackImport.create", input: () => ({ fileName: "export.zip", size: 1024 }), expect: ADMINS },
  {
    procedure: "slackImport.start",
    case: "a zip not uploaded yet",
    input: async (w) => ({ id: await uploadingImport(w.db, w.users.admin.id) }),
    // Admins get past authorization and are then told the upload is incomplete.
    expect: { ...ADMINS, owner: "BAD_REQUEST", admin: "BAD_REQUEST" },
  },
  { procedure: "slackImport.list", expect: ADMINS },
  {
    procedure: "slackImport.get",
    input: async (w) => ({ id: await uploadingImport(w.db, w.users.admin.id) }),
    expect: ADMINS,
  },
];
