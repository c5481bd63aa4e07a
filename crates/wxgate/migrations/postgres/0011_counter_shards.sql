-- Instances sharing one database write in parallel (no lock every batch takes): the anonymous
-- per-scene and per-day counters get a `shard`, a number each instance picks at start, so two
-- instances never update the same counter row (which made their batches wait for each other
-- and, taken in different orders, deadlock). Reads already sum the rows of a key
-- (`SUM(...) GROUP BY`), so a key's counts are the sum of its shards. Existing rows are shard 0.
ALTER TABLE scene_counters ADD COLUMN shard INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scene_counters DROP CONSTRAINT scene_counters_pkey;
ALTER TABLE scene_counters ADD PRIMARY KEY (account, scene, day, shard);

ALTER TABLE day_counters ADD COLUMN shard INTEGER NOT NULL DEFAULT 0;
ALTER TABLE day_counters DROP CONSTRAINT day_counters_pkey;
ALTER TABLE day_counters ADD PRIMARY KEY (account, day, shard);
