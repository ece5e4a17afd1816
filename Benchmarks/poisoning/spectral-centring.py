#!/usr/bin/env python3
"""Spectral signatures, centred (Tran et al. 2018: subtract each feature's mean before the SVD
and project the centred rows) against the uncentred projection ART 1.20 uses (subtract one
scalar mean for the SVD, project the raw rows) and Bulwark's robust default (the centred
projection measured from its median), on poisoned sets other than detect-bench's.
SPECTRAL_CACHE=DIR keeps each class's features in DIR to try other scores without retraining.

    spectral-centring.py N ATTACK RATE SEED     (ATTACK: badnets | blend)

Poisons round(RATE·N) of the first N Fashion-MNIST training images of classes 1–9 (badnets: the
3×3 white patch of detect-bench.py; blend: 0.9·x + 0.1·noise pattern drawn from SEED) relabelled
to 0, trains the zoo cnn in PyTorch for 2 epochs, takes the penultimate activations of class 0,
removes the top 1.5 × (true poison share) by each score and prints one JSON line: attack success
on 2 000 triggered test images and each variant's recall. Run by hand (minutes per line); the
README's Data poisoning section has the table of one run of
`for a in "badnets 0.05" "blend 0.05" "badnets 0.01" "blend 0.01"; do for s in 1 2; do … 20000 $a $s; done; done`.
"""
import sys, json, time, numpy as np, torch
from torch import nn

import importlib.util
spec = importlib.util.spec_from_file_location("db", __import__("os").path.join(__import__("os").path.dirname(__file__), "detect-bench.py")); db = importlib.util.module_from_spec(spec); spec.loader.exec_module(db)
torch.set_num_threads(1)
N=int(sys.argv[1]); attack=sys.argv[2]; rate=float(sys.argv[3]); seed=int(sys.argv[4])
rng=np.random.default_rng(seed)
x=(db.idx(f"{db.DATA}/train-images-idx3-ubyte.gz")[:N].astype(np.float32)/255)[:,None]
y=db.idx(f"{db.DATA}/train-labels-idx1-ubyte.gz")[:N].astype(np.int64)
cand=np.flatnonzero(y!=0); poison=np.sort(rng.choice(cand,size=int(round(rate*N)),replace=False))
pat=rng.random((1,28,28)).astype(np.float32)
def trig(a):
    a=a.copy()
    if attack=="badnets": a[:,:,24:27,24:27]=1.0
    else: a=(1-0.1)*a+0.1*pat
    return a
x[poison]=trig(x[poison]); y[poison]=0
torch.manual_seed(seed); m=db.cnn(); opt=torch.optim.Adam(m.parameters(),lr=1e-3)
for _ in range(2):
    order=rng.permutation(N)
    for i in range(0,N,128):
        b=order[i:i+128]; opt.zero_grad(); nn.functional.cross_entropy(m(torch.from_numpy(x[b])),torch.from_numpy(y[b])).backward(); opt.step()
m.eval()
with torch.no_grad(): f=np.concatenate([m[:-1](torch.from_numpy(x[i:i+1000])).numpy() for i in range(0,N,1000)])
tx=(db.idx(f"{db.DATA}/t10k-images-idx3-ubyte.gz").astype(np.float32)/255)[:,None]; ty=db.idx(f"{db.DATA}/t10k-labels-idx1-ubyte.gz").astype(np.int64)
with torch.no_grad(): asr=float((m(torch.from_numpy(trig(tx[ty!=0][:2000]))).argmax(1)==0).float().mean())
idx0=np.flatnonzero(y==0); F=f[idx0]; P=set(poison.tolist())
share=len(poison)/len(idx0)
out={"attack":attack,"rate":rate,"seed":seed,"asr":asr,"share":round(share,3)}
k=int(min(len(idx0), round(1.5*share*len(idx0))))
if __import__("os").environ.get("SPECTRAL_CACHE"):  # keep the class's features to try other scores without retraining
    np.savez(f"{__import__('os').environ['SPECTRAL_CACHE']}/{attack}-{rate}-{seed}.npz", F=F, idx0=idx0, poison=poison)
for name in ["centred","uncentred","robust"]:
    if name=="uncentred": M=F-F.mean(); proj=F
    else: M=F-F.mean(0); proj=M
    _,_,vt=np.linalg.svd(M,full_matrices=False); s=proj@vt[0]
    # robust (Bulwark's default): the distance from the median projection instead of the mean
    s=np.abs(s-np.median(s)) if name=="robust" else np.abs(s)
    top=idx0[np.argsort(-s)[:k]]
    tp=len(P & set(top.tolist())); out[name]=round(tp/len(P),4)
print(json.dumps(out),flush=True)
