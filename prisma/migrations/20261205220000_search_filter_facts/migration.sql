-- The index rows' tsvector now also holds the filters' facts as lexemes (#from:<id>, #has:link,
-- #is:thread, #mentions:<id> …; packages/core/src/search/indexer.ts), so a search with words and
-- filters applies both in the GIN index. Rows indexed before carry no facts: the indexer starts
-- over from every log (it rewrites every row; searches keep working meanwhile, finding rows
-- without facts only when no filter is asked).
DELETE FROM "SearchCursor";
