import sys,re,collections
f=sys.argv[1]; within=sys.argv[2] if len(sys.argv)>2 else None
pats=sys.argv[3:]
tot=0; sub=0; c=collections.Counter()
for line in open(f):
    n,stack=line.split(' ',1); n=int(n); tot+=n
    if within and within not in stack: continue
    sub+=n
    for p in pats:
        if re.search(p,stack): c[p]+=n
print(f"total {tot} within {within}: {sub} ({100*sub/tot:.1f}%)")
for p in pats: print(f"{100*c[p]/tot:6.2f}%  {p}")
