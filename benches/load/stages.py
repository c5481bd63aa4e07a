import re,sys
# usage: stages.py FOLDED US_PER_PUSH -> the per-stage table (shares of the samples, µs at US_PER_PUSH)
f=sys.argv[1]; us=float(sys.argv[2])
stages=[
 ('writer thread (statements, commit, WAL, fsync, catch-up)', r'Writer::run'),
 ('parse (wechat_proto::parse_message)', r'parse_message'),
 ('verify / decrypt / replay mark (rest of accept)', r'accept::accept'),
 ('span + metrics', r'spans::push|new_span|on_record|try_close|Span::record|[Hh]istogram|metrics::|series::'),
 ('dedupe (in-flight claim / publish)', r'[Ii]nflight'),
 ('rules / render', r'decide|render'),
 ('hand-off (queue to the writer, its answer)', r'PushLog>::record|flume|tokio::sync::oneshot'),
 ('reply (answer_response, hyper encode, writev to loopback)', r'answer_response|writev|poll_flush|encode'),
 ('accept / HTTP in (read head, recvfrom, query params, body)', r'poll_read_head|recvfrom|PushParams::parse|read_limited|poll_read'),
 ('push handler, rest (receive, push::run, timeouts)', r'receive::|push::run|push::handle'),
]
tot=0; c={s:0 for s,_ in stages}; rest=0
for line in open(f):
    n,st=line.split(' ',1); n=int(n); tot+=n
    for s,p in stages:
        if re.search(p,st): c[s]+=n; break
    else: rest+=n
for s,_ in stages: print(f"| {s} | {100*c[s]/tot:.1f} % | {us*c[s]/tot:.1f} |")
print(f"| runtime, axum/tower, kernel scheduling, epoll (the rest) | {100*rest/tot:.1f} % | {us*rest/tot:.1f} |")
print(f"samples {tot}")
