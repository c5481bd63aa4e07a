-- One copy of a push is stored: its raw XML. The typed fields the admin API shows are parsed
-- from it when read.
ALTER TABLE events DROP COLUMN fields_json;
