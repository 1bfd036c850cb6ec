#!/usr/bin/env python3
# The f64 exp polynomial of src/math/exp.hpp (expd_table, AVX-512): exp(r) - 1 = r + r^2 Q(r)
# on |r| <= ln2/32, relative minimax by reweighted least squares. Needs mpmath and numpy (PyPI).
# Usage: scripts/fit/exp_f64.py 4  (the degree of Q)
import sys
import numpy as np, mpmath as mp
mp.mp.dps = 50
a = float(mp.log(2)/32) * 1.001
N = 3000
r = np.cos(np.pi*(np.arange(N)+0.5)/N) * a
g = np.array([float((mp.expm1(mp.mpf(x)) - mp.mpf(x))/mp.mpf(x)**2) for x in r])
W = r**2 / np.array([float(mp.exp(mp.mpf(x))) for x in r])   # error of exp relative to exp
d = int(sys.argv[1])
A = np.vstack([r**k for k in range(d+1)]).T
w = np.ones(N)/N
for it in range(200):
    sw = np.sqrt(w)*W
    c, *_ = np.linalg.lstsq(A*sw[:,None], g*sw, rcond=None)
    e = np.abs((A@c - g)*W); w = w*e; w /= w.sum()
def err(x):
    x = mp.mpf(x); q = mp.mpf(0)
    for k in reversed(range(len(c))): q = q*x + mp.mpf(float(c[k]))
    return abs((1 + x + x*x*q)/mp.exp(x) - 1)
m = max(err(x) for x in np.linspace(-a, a, 4001))
print("q degree", d, "max rel err", float(m), "ulp", float(m/mp.mpf(2)**-53))
for k, v in enumerate(c): print(f"c{k+2} = {float(v).hex()}")
