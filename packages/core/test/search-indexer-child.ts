/**
 * A search indexer in a process of its own, for search-indexer-kill.integration.test.ts to
 * SIGKILL: runs small rounds against DATABASE_URL (3 events per conversation each, so a big log
 * takes many rounds) and prints `round <events>` after each, until caught up (`done`).
 */
import { createDb } from "@parley/db";
import { indexSearchRound } from "../src/search/indexer.ts";

const db = createDb(process.env.DATABASE_URL ?? "");
for (;;) {
  const round = await indexSearchRound(db, { conversations: 1000, events: 3 });
  if (round.locked && round.conversations === 0) break;
  console.log(`round ${round.events}`);
}
console.log("done");
await db.$disconnect();
