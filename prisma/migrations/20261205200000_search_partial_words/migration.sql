-- Partial words ("ploym" finds "deployment") and names of channels and people: trigram indexes.
-- pg_trgm ships with PostgreSQL's contrib (Debian's postgresql-15 and embedded-postgres both have
-- it) and is a trusted extension: a database owner may create it without superuser.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- CreateTable
CREATE TABLE "SearchWord" (
    "word" TEXT NOT NULL,

    CONSTRAINT "SearchWord_pkey" PRIMARY KEY ("word")
);

-- CreateIndex
CREATE INDEX "SearchWord_word_idx" ON "SearchWord" USING GIN ("word" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Conversation_name_idx" ON "Conversation" USING GIN ("name" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "User_name_idx" ON "User" USING GIN ("name" gin_trgm_ops);



-- The words of rows indexed before this table existed (the indexer adds new ones as it goes).
INSERT INTO "SearchWord" (word)
SELECT DISTINCT w FROM "MessageSearch", unnest(tsvector_to_array(tsv)) AS w
WHERE length(w) BETWEEN 3 AND 64
ON CONFLICT DO NOTHING;
