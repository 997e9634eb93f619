#!/usr/bin/env bash
# Builds and runs every fuzz target (or the TARGETs named) for SECONDS seconds each
# (default 60) on the stable toolchain; exits non-zero if any target found a crash (the
# input is kept under fuzz/artifacts/<target>/; replay it with
# `RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none <target> <file>`).
#
# cargo-fuzz passes nightly-only flags (-Z sanitizer, -Cpasses=sancov-module) to rustc;
# RUSTC_BOOTSTRAP=1 lets the stable compiler accept them. It is set only for these builds.
#
# Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail

seconds="${1:-60}"
shift || true
cd "$(dirname "$0")"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "run.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi

export RUSTC_BOOTSTRAP=1
# FUZZ_SANITIZER=address adds AddressSanitizer (slower to build: the bundled SQLite is
# compiled with it too). The targets are safe Rust, so the default looks for panics only.
sanitizer="${FUZZ_SANITIZER:-none}"
for target in "${targets[@]}"; do
    echo "run.sh: building $target" >&2
    cargo fuzz build --sanitizer "$sanitizer" "$target"
done
failed=()
for target in "${targets[@]}"; do
    echo "run.sh: fuzzing $target for ${seconds}s" >&2
    mkdir -p "corpus/$target"
    # The first directory receives new inputs; seeds/ (committed) only primes it.
    if ! cargo fuzz run --sanitizer "$sanitizer" "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1; then
        failed+=("$target")
    fi
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "run.sh: crashes in: ${failed[*]} (inputs under fuzz/artifacts/)" >&2
    exit 1
fi
echo "run.sh: no crash in ${#targets[@]} targets x ${seconds}s" >&2
