#!/usr/bin/env bash
# Builds the libFuzzer targets (with AddressSanitizer) and runs each for a while.
#
#   Fuzz/run.sh [SECONDS-PER-TARGET] [TARGET...]     default 30 s, every target
#   Fuzz/run.sh --seeds                              rewrite corpus/ from the fixtures
#   FUZZ_ASAN=0 Fuzz/run.sh ...                      without AddressSanitizer (see below)
#
# Targets: wire esp ikev2 fragments keyfiles tcp. Each run starts from the committed seeds in
# corpus/<target>/ and from what earlier runs found in generated/<target>/ (git-ignored), and
# adds what it finds to generated/<target>/. Exits non-zero when any target crashed, timed out
# (-timeout=10), ran out of memory (-rss_limit_mb=2048) or leaked, after printing the path of
# the input that reproduces it (under artifacts/<target>/). Reproduce with
#   Fuzz/.build/release/fuzz-<target> artifacts/<target>/crash-...
# Everything runs under `nice -n 19`, one fuzzer at a time.
set -uo pipefail
cd "$(dirname "$0")"

all_targets=(wire esp ikev2 fragments keyfiles tcp)
declare -A max_len=([wire]=8192 [esp]=4096 [ikev2]=12288 [fragments]=8192 [keyfiles]=12288 [tcp]=8192)
# swiftc keeps only the last -sanitize= option it is given, and `swift build --sanitize=fuzzer
# --sanitize=address` passes two in no fixed order (a build silently loses either the coverage
# or AddressSanitizer). So: SwiftPM's --sanitize=fuzzer (which also compiles the fuzz targets
# with -parse-as-library and leaves their missing `main` alone: libFuzzer has it), then one
# combined flag that swiftc sees last, for compiling and linking.
build_flags=(-c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address)
bin=.build/release
# FUZZ_ASAN=0: coverage and Swift's own traps only, about three times faster for `wire` (ASan's
# allocator dominates it), built apart so that the two builds do not overwrite each other. It
# finds crashes, traps, hangs and memory blow-ups, but no leaks and no C-level memory errors.
if [[ "${FUZZ_ASAN:-1}" == "0" ]]; then
    build_flags=(-c release --sanitize=fuzzer --scratch-path .build-noasan)
    bin=.build-noasan/release
fi

log() { printf '%s\n' "$*" >&2; }

# Leaks are looked for after every input that allocates more than it frees (libFuzzer's
# -detect_leaks, on by default). The check at exit is off: it reports what lives for the whole
# process on purpose (OpenSSL's providers, loaded once) and Swift values whose pointers carry
# enum tag bits, which LeakSanitizer cannot follow.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}leak_check_at_exit=0"
# Swift's own crash backtracer reads the crashed process's memory, which AddressSanitizer
# reports as an overflow in the backtracer; without it, a trap (bounds, overflow, force
# unwrap) is libFuzzer's "deadly signal" with the stack down to the Sources/ line.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}"

if [[ "${1:-}" == "--seeds" ]]; then
    # The seed writer runs without sanitizers; then every target keeps only the seeds that
    # add coverage (libFuzzer -merge), so that corpus/ stays small.
    nice -n 19 swift build -c release --scratch-path .build/seeds --product fuzz-seeds || exit 1
    raw=$(mktemp -d)
    trap 'rm -rf "$raw"' EXIT
    extra=()
    # The shared corpus beside the repository, when it is there: more captures and key files.
    [[ -d ../../shared/corpus ]] && extra+=(../../shared/corpus)
    .build/seeds/release/fuzz-seeds .. "$raw" "${extra[@]}" || exit 1
    for target in "${all_targets[@]}"; do
        nice -n 19 swift build "${build_flags[@]}" --product "fuzz-$target" || exit 1
        rm -rf "corpus/$target"
        mkdir -p "corpus/$target"
        nice -n 19 "$bin/fuzz-$target" -merge=1 -max_len="${max_len[$target]}" -rss_limit_mb=2048 -timeout=10 \
            "corpus/$target" "$raw/$target" 2>&1 | grep -E '^MERGE-OUTER: [0-9]+ new files' >&2
        log "corpus/$target: $(ls "corpus/$target" | wc -l) files, $(cat "corpus/$target"/* | wc -c) bytes"
    done
    exit 0
fi

seconds=30
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then
    seconds=$1
    shift
fi
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("${all_targets[@]}")
for target in "${targets[@]}"; do
    [[ -n "${max_len[$target]:-}" ]] || { log "unknown target '$target' (known: ${all_targets[*]})"; exit 1; }
done

for target in "${targets[@]}"; do
    log "== building fuzz-$target"
    nice -n 19 swift build "${build_flags[@]}" --product "fuzz-$target" || { log "build of fuzz-$target failed"; exit 1; }
done

failed=()
summary=()
for target in "${targets[@]}"; do
    mkdir -p "generated/$target" "artifacts/$target" "corpus/$target"
    dict=()
    [[ -f "dicts/$target.dict" ]] && dict=(-dict="dicts/$target.dict")
    out="artifacts/$target/last-run.log"
    log "== fuzz-$target for ${seconds}s (log: Fuzz/$out)"
    nice -n 19 "$bin/fuzz-$target" "generated/$target" "corpus/$target" "${dict[@]}" \
        -max_total_time="$seconds" -max_len="${max_len[$target]}" -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="artifacts/$target/" -print_final_stats=1 >"$out" 2>&1
    status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$out" | tail -1)
    summary+=("$target: ${runs:-?} runs, ${speed:-?} exec/s, ${cov:-no coverage line}, exit $status")
    if [[ $status -ne 0 ]]; then
        failed+=("$target")
        grep -E '^==[0-9]+==ERROR|^SUMMARY|Fatal error|deadly signal|ALARM|out-of-memory|leak|in \$s.*Sources/Spiglass' "$out" | head -8 >&2
        reproducer=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$out" | tail -1)
        log "fuzz-$target FAILED (exit $status); reproducer: Fuzz/${reproducer:-(none written, see $out)}"
        log "  reproduce: Fuzz/$bin/fuzz-$target Fuzz/${reproducer:-<input>}"
    fi
done

log "== summary"
for line in "${summary[@]}"; do log "  $line"; done
if [[ ${#failed[@]} -gt 0 ]]; then
    log "failed: ${failed[*]}"
    exit 1
fi
exit 0
