-- Rate-limit counts are worth nothing after a crash (PostgreSQL empties an unlogged table then):
-- unlogged, counting a request writes no WAL and its commit waits for no flush.
ALTER TABLE "rate_limits" SET UNLOGGED;
