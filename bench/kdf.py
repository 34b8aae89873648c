"""Cost of hashing one voter secret under each KDF profile.

The figures in docs/election-package.md come from this script.

Run: .venv/bin/python bench/kdf.py   — prints one line per profile and a final key=value line.
Bound: `strong` must cost at least 100 ms and 64 MiB per secret (an offline guess is expensive),
`demo` at most 5 ms (the 1,000-voter demo builds in seconds).
"""

from __future__ import annotations

import time

from kiosk.election.kdf import KdfProfile, SecretKind, hash_secret


def per_secret_ms(profile: KdfProfile, rounds: int) -> float:
    start = time.perf_counter()
    for i in range(rounds):
        hash_secret(SecretKind.VOTE_CODE, f"CODE{i}", profile.value)
    return (time.perf_counter() - start) * 1000 / rounds


def main() -> None:
    figures = {}
    for profile, rounds in (
        (KdfProfile.TEST, 2000),
        (KdfProfile.DEMO, 500),
        (KdfProfile.STRONG, 5),
    ):
        ms = per_secret_ms(profile, rounds)
        params = profile.value
        figures[profile.name.lower()] = ms
        print(
            f"{profile.name.lower():>6}: N=2^{params.log2_n} r={params.r} p={params.p} "
            f"{params.memory_bytes / 2**20:.2f} MiB  {ms:.3f} ms/secret  {4 * ms:.2f} ms/voter"
        )
    strong_ok = figures["strong"] >= 100 and KdfProfile.STRONG.value.memory_bytes >= 64 << 20
    demo_ok = figures["demo"] <= 5
    print(f"bounds: strong >= 100 ms and 64 MiB: {strong_ok}; demo <= 5 ms: {demo_ok}")
    print(
        " ".join(f"kdf_{name}_ms={ms:.3f}" for name, ms in figures.items())
        + f" within_bounds={strong_ok and demo_ok}"
    )


if __name__ == "__main__":
    main()
