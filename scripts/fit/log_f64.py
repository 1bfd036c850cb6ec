#!/usr/bin/env python3
# The f64 log polynomial of src/math/log.hpp (log_avx512_f64). Needs mpmath (PyPI).
# Usage: scripts/fit/log_f64.py 7 15  (the degree of Q, Lawson iterations)
# log1p(r) ~ r + r^2 Q(r) on [lo, hi], relative error; weighted least squares in mpmath on
# Chebyshev nodes (near-minimax), then Lawson reweighting in high precision.
import sys
import mpmath as mp
mp.mp.dps = 60
lo, hi = mp.mpf(-1)/32*mp.mpf('1.001'), mp.mpf(1)/32*mp.mpf('1.001')
d = int(sys.argv[1]); N = 120
xs = [ (hi+lo)/2 + (hi-lo)/2*mp.cos(mp.pi*(i+mp.mpf(0.5))/N) for i in range(N)]
g = [ (mp.log1p(x)-x)/x**2 for x in xs]
W = [ x**2/mp.log1p(x) for x in xs]
w = [mp.mpf(1)]*N
for it in range(int(sys.argv[2]) if len(sys.argv) > 2 else 30):
    A = mp.matrix(N, d+1); b = mp.matrix(N, 1)
    for i,x in enumerate(xs):
        s = mp.sqrt(w[i])*W[i]
        for k in range(d+1): A[i,k] = s*x**k
        b[i] = s*g[i]
    c = mp.lu_solve(A.T*A, A.T*b)
    e = [abs((sum(c[k]*x**k for k in range(d+1)) - g[i])*W[i]) for i,x in enumerate(xs)]
    tot = sum(w[i]*e[i] for i in range(N)); w = [w[i]*e[i]/tot for i in range(N)]
cf = [float(c[k]) for k in range(d+1)]
def err(x):
    q = mp.mpf(0)
    for k in reversed(range(d+1)): q = q*x + mp.mpf(cf[k])
    return abs((x + x*x*q)/mp.log1p(x) - 1)
m = max(err(lo + (hi-lo)*i/3000) for i in range(3001) if abs(lo + (hi-lo)*i/3000) > mp.mpf(10)**-12)
print("Q degree", d, "max rel err", float(m), "ulp", float(m/mp.mpf(2)**-53))
for k, v in enumerate(cf): print(f"c{k+2} = {v.hex()}")
