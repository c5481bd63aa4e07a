-- The outbox becomes a typed job queue: each row has a kind, `webhook` (a notify-webhook
-- delivery, written with its push: the default, so the push path's inserts are unchanged) or
-- `template` (a template message's send, written with the message; its `webhook` is empty
-- and its `event_id` holds the message's id). Template sends used to be rows of the reserved
-- webhook name '@template': they become template jobs (one without a message id could never
-- be sent and is dropped, as the sender of before dropped it).
ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'webhook';
DELETE FROM outbox WHERE webhook = '@template' AND (event_id = '' OR event_id GLOB '*[^0-9]*');
UPDATE outbox SET kind = 'template', webhook = '' WHERE webhook = '@template';
-- "Is there an older pending job of this (kind, webhook, account, openid)?" (in order per
-- openid).
DROP INDEX outbox_webhook_openid;
CREATE INDEX outbox_job_order ON outbox (kind, webhook, account, openid, id);
