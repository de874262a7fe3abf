/** The throwaway database every scenario starts from (created, migrated, dropped on cleanup). */
import { createDb, type TDb } from "@parley/db";
import { createMigratedDatabase } from "@parley/db/local-postgres";
import type { TOptions } from "./options.ts";
import { onCleanup } from "./run.ts";

export async function prepareDatabase(
  o: TOptions,
  log: (line: string) => void,
): Promise<{ db: TDb; url: string }> {
  const benchDb = await createMigratedDatabase(o.serverUrl, "parley_bench");
  if (!o.keepDb) onCleanup(() => benchDb.drop());
  else log(`database kept: ${benchDb.url}`);
  log(`database: ${benchDb.name} (migrated)`);
  const db = createDb(benchDb.url, { max: 8 });
  onCleanup(() => db.$disconnect());
  return { db, url: benchDb.url };
}
