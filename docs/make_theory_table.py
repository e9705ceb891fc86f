"""Regenerate docs/theory-vs-measurement.md: every law of synthaudit.theory beside an independent
Monte Carlo, for every workflow, at small and large n; then the simulation study behind the
validity rule of the asymptotic improvement probability (DESIGN §5).

The Monte Carlo here is plain numpy (sufficient statistics drawn directly, as in the tests); it
does not use the engine. Each measured value is given with its standard error
(``sqrt(p(1−p)/R)`` for a proportion, ``sd/sqrt(R)`` for a mean) and the z-score of the
difference. Fixed seed; R = 20 000 replications per cell (the rule study: the same).

Run:  python3 docs/make_theory_table.py            (about 4 minutes on 2 cores)
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from synthaudit import theory

HERE = Path(__file__).resolve().parent
R = 20_000
RNG = np.random.default_rng(20260101)


# ----------------------------------------------------------------------------- simulations


def gaussian_chain(n0, n, T, workflow, m=0):
    """(D_0, v_0, D_T, v_T, KL_0, KL_T) with σ = 1, μ = 0, unbiased divisor."""
    d = RNG.normal(0, 1 / math.sqrt(n0), R)
    ss = RNG.chisquare(n0 - 1, R)
    N = n0
    v = ss / (N - 1)
    d0, v0 = d.copy(), v.copy()
    for _ in range(T):
        ybar = d + RNG.normal(0, 1, R) * np.sqrt(v / n)
        ssy = v * RNG.chisquare(n - 1, R)
        if workflow == "replace":
            d, ss, N = ybar, ssy, n
        elif workflow == "accumulate":
            Nn = N + n
            ss = ss + ssy + N * n / Nn * (ybar - d) ** 2
            d, N = (N * d + n * ybar) / Nn, Nn
        else:
            zbar = RNG.normal(0, 1 / math.sqrt(m), R)
            ssz = RNG.chisquare(m - 1, R) if m > 1 else 0.0
            N = n + m
            ss = ssy + ssz + n * m / N * (ybar - zbar) ** 2
            d = (n * ybar + m * zbar) / N
        v = ss / (N - 1)

    def kl(mu, var):
        return 0.5 * (1 / var + mu**2 / var - 1 + np.log(var))

    return d0, v0, d, v, kl(d0, v0), kl(d, v)


def count_chain(p, n0, n, T, workflow, m=0, poisson=False):
    draw = (lambda k, q: RNG.poisson(k * q)) if poisson else (lambda k, q: RNG.binomial(k, q))
    x = draw(n0, np.full(R, p))
    x0, N = x.copy(), n0
    for _ in range(T):
        if workflow == "replace":
            x, N = draw(n, x / N), n
        elif workflow == "mix":
            x, N = draw(n, x / N) + draw(m, np.full(R, p)), n + m
        else:
            x, N = x + draw(n, x / N), N + n
    return x0, x, N


def ties(r0, rT):
    both = np.isinf(r0) & np.isinf(rT)
    with np.errstate(invalid="ignore"):
        return both | (np.abs(rT - r0) <= 1e-12 * (1 + np.where(np.isfinite(r0), np.abs(r0), 0)))


def gen_variance(p, n, T):
    L = np.tile(np.eye(p), (R, 1, 1))
    for _ in range(T + 1):
        X = RNG.normal(size=(R, n, p)) @ np.swapaxes(L, 1, 2)
        Xc = X - X.mean(axis=1, keepdims=True)
        L = np.linalg.cholesky(np.swapaxes(Xc, 1, 2) @ Xc / (n - 1))
    return np.prod(np.diagonal(L, axis1=1, axis2=2), axis=1) ** 2


def noise_variance(n, T, q, B=4000):
    pool = np.c_[np.ones(n), RNG.normal(size=(n, q - 1))]
    out = np.empty(B)
    for b in range(B):
        X, beta, s2 = pool, np.zeros(q), 1.0
        for t in range(T + 1):
            if t:
                X = pool[RNG.integers(0, n, n)]
            y = X @ beta + math.sqrt(s2) * RNG.normal(size=n)
            beta, *_ = np.linalg.lstsq(X, y, rcond=None)
            s2 = float(np.sum((y - X @ beta) ** 2) / (n - q))
        out[b] = s2
    return out


# --------------------------------------------------------------------------------- the table


def row(quantity, workflow, n0, n, T, pred, draws, *, mean=False):
    if mean:
        meas, se = float(draws.mean()), float(draws.std() / math.sqrt(draws.size))
    else:
        meas = float(np.mean(draws))
        se = math.sqrt(max(meas * (1 - meas), 1.0 / draws.size) / draws.size)
    if pred.shown:
        z = (pred.value - meas) / se if se > 0 else 0.0
        th = f"{pred.value:.4f}"
        zs = f"{z:+.1f}"
        if pred.kind == "exact":
            ok = "yes" if abs(z) <= 4 else "**no**"
        else:
            ok = "yes" if abs(pred.value - meas) <= pred.error + 2 * se else "**no**"
    else:
        th, zs, ok = "—", "", ""
    return (f"| {quantity} | {workflow} | {n0} | {n} | {T} | {th} | {pred.kind} "
            f"| {meas:.4f} ± {se:.4f} | {zs} | {ok} |")


def law_table() -> list[str]:
    out = [
        "| quantity | workflow | n0 | n_t | T | theory | kind | Monte Carlo ± SE | z | agrees |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    T = 20
    for n in (10, 200):
        sizes = [n] * T
        for wf, m in (("replace", 0), ("accumulate", 0), ("mix", n // 2)):
            spec = f"mix:{m}" if wf == "mix" else wf
            d0, v0, d, v, k0, kT = gaussian_chain(n, n, T, wf, m)
            out.append(row("E σ̂²_T/σ²", spec, n, n, T,
                           theory.expected_variance_prediction(n, sizes, workflow=spec), v, mean=True))
            out.append(row("E (μ̂_T − μ)²/σ²", spec, n, n, T, theory.Prediction(
                float(theory.workflow_moments(n, sizes, workflow=spec).mean_sq_error[-1]),
                "exact", "", "", 0.0), d**2, mean=True))
            out.append(row("P(σ̂²_T/σ² ≤ ½)", spec, n, n, T,
                           theory.variance_collapse_prediction(0.5, n, sizes, workflow=spec), v <= 0.5))
            out.append(row("P(|μ̂_T − μ| < |μ̂_0 − μ|)", spec, n, n, T,
                           theory.mean_improvement_prediction(n, sizes, workflow=spec),
                           np.abs(d) < np.abs(d0)))
            out.append(row("P(KL_T < KL_0), Gaussian", spec, n, n, T,
                           theory.improvement_prediction(n, sizes, family="gaussian", gaussian_dim=1,
                                                         workflow=spec), kT < k0))
            p = 0.05
            x0, x, N = count_chain(p, n, n, T, wf, m)
            out.append(row(f"P(level p = {p} lost)", spec, n, n, T,
                           theory.level_loss_prediction(p, n, sizes, workflow=spec), x == 0))
            pb = 0.3
            x0, x, N = count_chain(pb, n, n, T, wf, m)

            def klb(q, pb=pb):
                with np.errstate(divide="ignore", invalid="ignore"):
                    r = pb * np.log(pb / q) + (1 - pb) * np.log((1 - pb) / (1 - q))
                return np.where((q <= 0) | (q >= 1), np.inf, r)

            r0, rT = klb(x0 / n), klb(x / N)
            out.append(row(f"P(KL_T < KL_0), binary p = {pb}", spec, n, n, T, theory.improvement_prediction(
                n, sizes, family="categorical", probabilities=[[pb, 1 - pb]], workflow=spec),
                (rT < r0) & ~ties(r0, rT)))
            lam = 0.1
            s0, s, N = count_chain(lam, n, n, T, wf, m, poisson=True)
            out.append(row(f"P(rate λ = {lam} extinct)", spec, n, n, T,
                           theory.extinction_prediction(lam, n, sizes, workflow=spec), s == 0))
            lam = 1.0
            s0, s, N = count_chain(lam, n, n, T, wf, m, poisson=True)

            def klp(est, lam=lam):
                with np.errstate(divide="ignore", invalid="ignore"):
                    r = lam * np.log(lam / est) - lam + est
                return np.where(est <= 0, np.inf, r)

            r0, rT = klp(s0 / n), klp(s / N)
            out.append(row(f"P(KL_T < KL_0), Poisson λ = {lam}", spec, n, n, T,
                           theory.improvement_prediction(n, sizes, family="poisson", rates=[lam],
                                                         workflow=spec),
                           (rT < r0) & ~ties(r0, rT)))
        g = gen_variance(2, n, 5)
        out.append(row("E|Σ̂_T|/|Σ|, p = 2", "replace", n, n, 5,
                       theory.generalized_variance_prediction(n, [n] * 5, dim=2), g, mean=True))
        out.append(row("P(|Σ̂_T|/|Σ| ≤ ½), p = 2", "replace", n, n, 5,
                       theory.generalized_variance_prediction(n, [n] * 5, dim=2, eps=0.5), g <= 0.5))
        s2 = noise_variance(n, 5, 3, B=3000 if n < 100 else 1000)
        out.append(row("P(σ̂²_noise,T/σ² ≤ ½), q = 3", "replace", n, n, 5,
                       theory.noise_variance_prediction(n, [n] * 5, n_coef=3, eps=0.5), s2 <= 0.5))
    return out


# ------------------------------------------------------------------ the validity-rule study


def study_rows():
    """(family, label, n, T, d, asymptotic value, measured, rule says shown)."""
    Ts = [1, 2, 5, 10, 20, 50]
    rows = []

    def record(fam, label, n, T, d, meas, **blocks):
        asym = theory.improvement_probability(n, [n] * T, d=d)
        shown = theory.improvement_validity(n, [n] * T, **blocks).ok
        rows.append((fam, label, n, T, d, asym, meas, shown))

    for p in (1, 2, 3):  # Gaussian, p columns (unbiased covariance)
        d = p + p * (p + 1) // 2
        for n in (5, 10, 20, 50, 100, 200):
            if n <= p + 1:
                continue
            m = np.zeros((R, p))
            L = np.tile(np.eye(p), (R, 1, 1))

            def draw(m, L, n=n, p=p):
                m = m + np.einsum("rij,rj->ri", L, RNG.normal(size=(R, p))) / math.sqrt(n)
                G = RNG.normal(size=(R, n - 1, p))
                C = np.linalg.cholesky(np.swapaxes(G, 1, 2) @ G)
                return m, L @ C / math.sqrt(n - 1)

            def kl(m, L, p=p):
                with np.errstate(all="ignore"):
                    ld = 2 * np.log(np.abs(np.diagonal(L, axis1=1, axis2=2))).sum(1)
                    ok = np.isfinite(ld) & (ld > -500)
                    Li = np.linalg.inv(np.where(ok[:, None, None], L, np.eye(p)))
                    z = np.einsum("rij,rj->ri", Li, m)
                    r = 0.5 * ((Li**2).sum((1, 2)) + (z**2).sum(1) - p + ld)
                return np.where(ok, r, np.inf)

            m, L = draw(m, L)
            r0 = kl(m, L)
            for t in range(1, max(Ts) + 1):
                m, L = draw(m, L)
                if t in Ts:
                    record("gaussian", f"p = {p}", n, t, d, float(np.mean(kl(m, L) < r0)), gaussian_dim=p)
    cats = ([0.5, 0.5], [0.3, 0.7], [0.1, 0.9], [0.02, 0.98], [0.2, 0.3, 0.5], [1 / 3] * 3,
            [0.1, 0.2, 0.3, 0.4], [0.05, 0.15, 0.3, 0.5], [0.02, 0.18, 0.3, 0.5])
    for p in cats:
        p = np.asarray(p)

        def kl(q, p=p):
            with np.errstate(divide="ignore", invalid="ignore"):
                t = p * np.log(p / q)
            return np.where((q <= 0).any(axis=1), np.inf, t.sum(axis=1))

        for n in (20, 50, 100, 200, 500, 1000):
            q0 = RNG.multinomial(n, p, R) / n
            r0, q = kl(q0), q0
            for t in range(1, max(Ts) + 1):
                q = RNG.multinomial(n, q) / n
                if t in Ts:
                    record("categorical", str(np.round(p, 2).tolist()), n, t, p.size - 1,
                           float(np.mean(kl(q) < r0)), probabilities=[p])
    for rates in ([0.2], [1.0], [5.0], [0.5, 2.0]):
        lam = np.asarray(rates)

        def kl(est, lam=lam):
            with np.errstate(divide="ignore", invalid="ignore"):
                t = lam * np.log(lam / est) - lam + est
            return np.where((est <= 0).any(axis=1), np.inf, t.sum(axis=1))

        for n in (10, 50, 200):
            s0 = RNG.poisson(n * lam, (R, lam.size)) / n
            r0, s = kl(s0), s0
            for t in range(1, max(Ts) + 1):
                s = RNG.poisson(n * s) / n
                if t in Ts:
                    record("poisson", f"λ = {rates}", n, t, lam.size, float(np.mean(kl(s) < r0)),
                           rates=rates)
    return rows


def violates(asym, meas):
    se = math.sqrt(max(meas * (1 - meas), 1e-4) / R)
    return abs(asym - meas) - 2 * se > theory.predictions.ASYMPTOTIC_REL_ERROR * max(meas, 0.02)


def study_table(rows) -> list[str]:
    out = [
        "| family | configurations | shown by the rule | shown but off (> stated error + 2 SE) |"
        " off overall | largest relative error when shown | largest relative error when hidden |",
        "|---|---|---|---|---|---|---|",
    ]
    for fam in ("gaussian", "categorical", "poisson"):
        sub = [r for r in rows if r[0] == fam]
        shown = [r for r in sub if r[7]]
        hidden = [r for r in sub if not r[7]]

        def rel(r):
            return abs(r[5] - r[6]) / max(r[6], 0.02)

        out.append(
            f"| {fam} | {len(sub)} | {len(shown)} | {sum(violates(r[5], r[6]) for r in shown)} | "
            f"{sum(violates(r[5], r[6]) for r in sub)} | "
            f"{max((rel(r) for r in shown), default=0):.2f} | "
            f"{max((rel(r) for r in hidden), default=0):.2f} |"
        )
    return out


def main() -> None:
    start = time.time()
    laws = law_table()
    rows = study_rows()
    study = study_table(rows)
    worst = sorted((r for r in rows if not r[7]), key=lambda r: -abs(r[5] - r[6]) / max(r[6], 0.02))[:8]
    text = [
        "# Theory vs measurement",
        "",
        "Generated by `docs/make_theory_table.py` (plain-numpy Monte Carlo, independent of the "
        f"engine; R = {R:,} replications per cell, fixed seed). `kind` is the prediction's kind "
        "(DESIGN §5): *exact* laws must agree within 4 standard errors (|z| ≤ 4); *asymptotic* "
        "ones within their stated error 0.25·max(P, 0.02) (+2 SE), whatever z says; *none* means "
        "the report shows no "
        "prediction. Unbiased divisor; `mix:M` draws its M fresh real rows from the truth; an "
        "improvement is a strictly smaller risk (ties apart).",
        "",
        "## Every law, every workflow, small and large n",
        "",
        *laws,
        "",
        "## The validity rule of the asymptotic improvement probability",
        "",
        "The asymptotic law `E[Φ(−(r_T/2)·χ_d)]` beside simulation over a grid of models "
        "(Gaussian with p = 1, 2, 3 columns; categorical columns with 2–4 levels, rare levels "
        "included; Poisson columns), n0 = n_t ∈ {5 … 1000}, T ∈ {1, 2, 5, 10, 20, 50}, replace "
        "workflow. The rule (`theory.improvement_validity`) shows it only inside its regime:",
        "",
        *study,
        "",
        "The hidden configurations where the asymptotic law is worst (relative error "
        "|P_asym − P| / max(P, 0.02)):",
        "",
        "| family | model | n | T | d | asymptotic | measured |",
        "|---|---|---|---|---|---|---|",
        *[f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]:.4f} | {r[6]:.4f} |" for r in worst],
        "",
        f"_Generated in {time.time() - start:.0f} s._",
        "",
    ]
    (HERE / "theory-vs-measurement.md").write_text("\n".join(text), encoding="utf-8")
    print("\n".join(text))


if __name__ == "__main__":
    main()
