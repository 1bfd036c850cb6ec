#!/usr/bin/env python3
# The f32 exp polynomial of src/math/exp.hpp (expf_poly): needs mpmath and numpy (PyPI).
# Usage: scripts/fit/exp_f32.py 4  (the degree of P in exp(r) = 1 + r + r^2 P(r))
# Lawson (iteratively reweighted) minimax fit: exp(r) ~ 1 + r + r^2 q(r), q degree d, relative error.
import sys
import numpy as np, mpmath as mp
mp.mp.dps = 40
a = float(mp.log(2)/2) * 1.0001
N = 4000
r = np.cos(np.pi*(np.arange(N)+0.5)/N) * a
ex = np.array([float(mp.exp(mp.mpf(x))) for x in r])
g = np.array([float((mp.exp(mp.mpf(x)) - 1 - mp.mpf(x))/mp.mpf(x)**2) for x in r])

d = int(sys.argv[1])  # degree of P
A = np.vstack([r**k for k in range(d+1)]).T          # q coefficients c2..c_{d+2}
W = (r**2/ex)                                        # relative error of the whole exp
w = np.ones(N)/N
for it in range(300):
    sw = np.sqrt(w)*W
    c, *_ = np.linalg.lstsq(A*sw[:,None], g*sw, rcond=None)
    e = np.abs((A@c - g)*W)
    w = w*e; w /= w.sum()
cf = np.float32(c)
# evaluate with f32-rounded coefficients in high precision
def p(x, cs):
    q = 0.0
    for k in reversed(range(len(cs))): q = q*x + float(cs[k])
    return 1 + x + x*x*q
err = max(abs(p(x, cf)/float(mp.exp(mp.mpf(x))) - 1) for x in np.linspace(-a, a, 20001))
print("deg", d+2, "max rel err (f32 coeffs)", err, "in ulp(2^-24):", err/2**-24)
for k, v in enumerate(cf): print(f"c{k+2} = {float(v).hex()}  {v!r}")
