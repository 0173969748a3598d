// Package dynamics reconstructs the phase space of a scalar time series and measures it:
// delay embedding, delay and dimension selection (mutual information, false nearest
// neighbours, Cao), the largest Lyapunov exponent (Rosenstein et al. 1993), the correlation
// dimension (Grassberger & Procaccia 1983), a surrogate-data test against linear stochastic
// processes, and a classification of the attractor (fixed point, limit cycle, strange,
// stochastic) for whole series and, incrementally, for growing ones.
//
// It is pure numerical code on gonum; the attractor service and the `midstream analyze chaos`
// command are built on it. See docs/attractor.md for the methods and their limits.
package dynamics
