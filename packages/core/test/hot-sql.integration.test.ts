/**
 * hotQuery's two roads (named statement on the hot-path pool; Prisma for a client without one)
 * answer the same rows, timestamps included, whatever the session's or the process's time zone.
 */
import { describe, expect, it } from "vitest";
import { hotQuery, type THotStatement } from "../src/hot-sql.ts";
import { newActor, useTestDb } from "./helpers.ts";

const t = useTestDb();

const USER_SQL: THotStatement = {
  name: "parley_test_hot_user_v1",
  text: `SELECT id, name, "lastEventSeq", "createdAt", ARRAY[$2::text] AS tags
    FROM "User" WHERE id = ANY($1::uuid[])`,
};

describe("hotQuery", () => {
  it("answers the same rows on the pool and through Prisma (a transaction client has no pool)", async () => {
    const actor = await newActor(t.db);
    const stored = await t.db.user.findUniqueOrThrow({
      where: { id: actor.userId },
      select: { id: true, name: true, lastEventSeq: true, createdAt: true },
    });
    const viaPool = await hotQuery(t.db, USER_SQL, [[actor.userId], "x"]);
    const viaPrisma = await t.db.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(`SET LOCAL TIME ZONE 'America/New_York'`);
      return hotQuery(tx as typeof t.db, USER_SQL, [[actor.userId], "x"]);
    });
    const expected = [{ ...stored, tags: ["x"] }];
    expect(viaPool).toEqual(expected);
    expect(viaPrisma).toEqual(expected);
    expect(await hotQuery(t.db, USER_SQL, [[], "x"])).toEqual([]);
  });

  it("reads a stored instant as UTC even when the process runs in another time zone", async () => {
    const previous = process.env.TZ;
    process.env.TZ = "America/New_York"; // Node applies a changed TZ at once
    try {
      const [row] = await hotQuery<{ at: Date }>(
        t.db,
        { name: "parley_test_hot_instant_v1", text: `SELECT '2026-01-02 03:04:05.678'::timestamp(3) AS at` },
        [],
      );
      expect(row?.at.toISOString()).toBe("2026-01-02T03:04:05.678Z");
    } finally {
      if (previous === undefined) delete process.env.TZ;
      else process.env.TZ = previous;
    }
  });
});
