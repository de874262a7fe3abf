-- The notifier starts at the end of every existing conversation's log: messages sent before it
-- was installed are history, not news (conversations created later start at 0).
INSERT INTO "NotifierCursor" ("conversationId", seq)
SELECT id, "lastSeq" FROM "Conversation"
ON CONFLICT ("conversationId") DO NOTHING;
