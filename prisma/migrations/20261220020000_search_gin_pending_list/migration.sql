-- The search indexer inserts each message's ~25 lexemes into MessageSearch's GIN index. With a
-- pending list (fastupdate) they are appended and merged into the index in sorted batches when
-- the list passes 512 kB (or by autovacuum): 25 % less Postgres CPU per message indexed
-- (`npm run bench -- --scenario sendpath`: 59–65 → 43–55 µs). A search also scans the pending
-- list: at its fullest ≈ 0.2–1.5 ms more per query (docs/performance.md, thirteenth round).
-- Replaces 20261205160000's fastupdate = off, which had been chosen for search latency alone.
ALTER INDEX "MessageSearch_tsv_idx" SET (fastupdate = on, gin_pending_list_limit = 512);
