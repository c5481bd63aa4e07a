#!/bin/bash
# usage: seed.sh BIN N -> .cache/open-template.db: the schema (made by BIN serve on a fresh db) + N authorizers
# wxbe00000000000001 ... (the appids wechat_push.lua's WX_OPEN_APPIDS=N rotates over), each with the
# gh_ id the script sends as ToUserName (gh_3ae1b2c4d5e6), status authorized.
BIN=$1; N=$2
B=${BENCH:-/tmp/bench2}; cd "$B"; mkdir -p .cache; rm -f .cache/open-template.db*
sed "s#^url = .*#url = \"sqlite://$B/.cache/open-template.db\"#" open.toml > .cache/seed.toml
$BIN serve -c .cache/seed.toml > .cache/seed.log 2>&1 & P=$!
for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:18120/ && break; sleep 0.1; done
kill $P; wait $P 2>/dev/null
NOW=$(($(date +%s)*1000))
python3 - "$N" "$NOW" > .cache/seed.sql <<'PY'
import sys
n, now = int(sys.argv[1]), int(sys.argv[2])
print("BEGIN;")
for i in range(1, n + 1):
    print(f"INSERT INTO open_authorizers (appid, user_name, nick_name, service_type, verify_type, func_info, status, authorized_at, updated_at) VALUES ('wxbe{i:014x}', 'gh_3ae1b2c4d5e6', 'Shop', 2, 0, '1,15', 'authorized', {now}, {now});")
print("COMMIT;")
PY
sqlite3 .cache/open-template.db < .cache/seed.sql 2>&1 | head -3
sqlite3 .cache/open-template.db "PRAGMA wal_checkpoint(TRUNCATE); SELECT count(*) FROM open_authorizers;"
