#!/usr/bin/env bash
# Folder benchmarks (issue #25): many small models in one JVM against the I/O floor and Python onnx.
#
# Rows, measured round robin (REPEATS rounds, medians reported with each round's ratio range):
#   rewrite DIR OUT of 400 models of ONNX's backend suite, of 50 copies of samples/gpt2_tied and of
#   1,000 generated small models with a few ties across them, each against the floor
#   (bench/floor_folder.py: read each input, write the rewrite's output bytes, fsync each file) and
#   Python onnx load+save (bench/python_folder.py save, no fsync);
#   check DIR of the 400 against Python's load loop (bench/python_folder.py load);
#   the same 400 and 1,000 rewritten with the other ways to make a new folder durable
#   (ONNX_TIE_SYNC=each: every file and folder fsync'ed as written, the way before batches; fs: one
#   syncfs of the file system instead of the files' fsyncs);
#   `onnx-tie --version` through the launcher, and the launcher's own shell time (the script with
#   its final exec replaced by `exec true`) against a bare `bash -c 'exec true'`.
# Every sample records the 1-minute load average at its start (the machine may be shared); the
# report gives its median beside each row. Writes the report between the bench/many.sh markers of
# bench/RESULTS.md (run.sh keeps that section) and prints it.
#
#   the three rewrites with --jobs auto (one model per core, at most 4: two on these machines; the
#   default is one at a time);
#   the api in one warm JVM (bench/WarmFolder.java): the rewrites and the check, REPEATS rounds after
#   a cold one, against the floor's and Python's medians;
#   with BEFORE set (another build's launcher, e.g. a worktree of the previous commit): its rewrites
#   and check in the same rounds, each right before this build's, for a before/after table.
#
# Usage: /usr/bin/python3 bench/make_many.py && bench/many.sh
# Environment: ONNX_TIE (default ./onnx-tie), PYTHON (default /usr/bin/python3), REPEATS (default 5),
#              RESULTS (default bench/RESULTS.md), BEFORE (unset: no before/after table),
#              JAR (default target/onnx-tie-cli.jar: the jar bench/WarmFolder.java runs over).
#              Needs GNU time at /usr/bin/time.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
ONNX_TIE="${ONNX_TIE:-./onnx-tie}"
PYTHON="${PYTHON:-/usr/bin/python3}"
REPEATS="${REPEATS:-5}"
RESULTS="${RESULTS:-bench/RESULTS.md}"
BEFORE="${BEFORE:-}"
JAR="${JAR:-target/onnx-tie-cli.jar}"
read -r -a tie <<<"$ONNX_TIE"
read -r -a before <<<"$BEFORE"
in=bench/out/many
out=bench/out/many-runs
logs="$out/logs"
fail() { echo "many.sh: $*" >&2; exit 2; }
for set in backend400 gpt2x50 gen1000; do
  [[ -d "$in/$set" ]] || fail "missing $in/$set; run: /usr/bin/python3 bench/make_many.py"
done
/usr/bin/time -f %M -o /dev/null true 2>/dev/null || fail "needs GNU time at /usr/bin/time"
rm -rf "$out"
mkdir -p "$logs"

"${tie[@]}" --version >/dev/null # untimed: builds the jar and its class-data archive when stale
# the rewrites' outputs, for the floor's output sizes
for set in backend400 gpt2x50 gen1000; do
  "${tie[@]}" rewrite "$in/$set" "$out/ref-$set" >/dev/null
done

samples="$(mktemp)"
rss_file="$(mktemp)"
trap 'rm -f "$samples" "$rss_file"' EXIT
load_start="$(cut -d ' ' -f 1-3 /proc/loadavg)"
# measure NAME OUTPUT OKCODES -- CMD...: OUTPUT removed and dirty pages synced first; appends
# "NAME wall_us peak_rss_kib load1" to $samples. OKCODES: exit codes that count as success ("0" or "0 1").
measure() {
  local name="$1" output="$2" ok="$3" code=0 start end load
  shift 4
  [[ -n "$output" ]] && rm -rf "$output"
  sync
  read -r load _ </proc/loadavg
  start=$(date +%s%N)
  /usr/bin/time -f %M -o "$rss_file" "$@" >"$logs/$name.log" 2>&1 || code=$?
  end=$(date +%s%N)
  if [[ " $ok " != *" $code "* ]]; then
    echo "many.sh: $name failed (exit $code): $*" >&2
    tail -n 20 "$logs/$name.log" >&2
    exit 3
  fi
  echo "$name $(((end - start) / 1000)) $(tail -n 1 "$rss_file") $load" >>"$samples"
}
median() {
  awk -v name="$1" -v col="$2" '$1 == name { print $col }' "$samples" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
seconds() { awk -v us="$(median "$1" 2)" 'BEGIN { printf "%.2f", us / 1e6 }'; }
# ratio A B: "median ratio (min–max of the rounds' ratios)"
ratio() {
  awk -v a="$1" -v b="$2" '$1 == a { x[++na] = $2 } $1 == b { y[++nb] = $2 }
    END { for (i = 1; i <= na && i <= nb; i++) { r[i] = x[i] / y[i]; if (i == 1 || r[i] < lo) lo = r[i]; if (r[i] > hi) hi = r[i] }
      n = (na < nb) ? na : nb
      for (i = 2; i <= n; i++) { v = r[i]; for (j = i - 1; j >= 1 && r[j] > v; j--) r[j + 1] = r[j]; r[j + 1] = v }
      m = (n % 2) ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2
      printf "%.2f× (%.2f–%.2f)", m, lo, hi }' "$samples"
}
mib() { awk -v k="$(median "$1" 3)" 'BEGIN { printf "%.0f", k / 1024 }'; }
load() { median "$1" 4; }

shell_only="$(mktemp "$root/.onnx-tie-shell.XXXXXX")"
trap 'rm -f "$samples" "$rss_file" "$shell_only"' EXIT
sed 's/^exec java .*/exec true/' onnx-tie >"$shell_only"
chmod +x "$shell_only"

for ((run = 1; run <= REPEATS; run++)); do
  echo "round $run/$REPEATS (load $(cut -d ' ' -f 1 /proc/loadavg))" >&2
  for set in backend400 gpt2x50 gen1000; do
    if [[ -n "$BEFORE" ]]; then
      measure "before-rewrite-$set" "$out/tied-$set" 0 -- "${before[@]}" rewrite "$in/$set" "$out/tied-$set"
    fi
    measure "rewrite-$set" "$out/tied-$set" 0 -- "${tie[@]}" rewrite "$in/$set" "$out/tied-$set"
    measure "jobsauto-$set" "$out/tied-$set" 0 -- "${tie[@]}" rewrite --jobs auto "$in/$set" "$out/tied-$set"
    measure "floor-$set" "$out/floor-$set" 0 -- "$PYTHON" bench/floor_folder.py "$in/$set" "$out/floor-$set" "$out/ref-$set"
    measure "python-save-$set" "$out/python-$set" 0 -- "$PYTHON" bench/python_folder.py save "$in/$set" "$out/python-$set"
  done
  if [[ -n "$BEFORE" ]]; then
    measure before-check-backend400 "" "0 1" -- "${before[@]}" check "$in/backend400"
  fi
  measure check-backend400 "" "0 1" -- "${tie[@]}" check "$in/backend400"
  measure python-load-backend400 "" 0 -- "$PYTHON" bench/python_folder.py load "$in/backend400"
  for set in backend400 gen1000; do
    for mode in each fs; do
      measure "rewrite-$mode-$set" "$out/tied-$set" 0 -- env ONNX_TIE_SYNC=$mode "${tie[@]}" rewrite "$in/$set" "$out/tied-$set"
    done
  done
  measure version "" 0 -- "${tie[@]}" --version
  for ((i = 0; i < 10; i++)); do
    measure launcher-shell "" 0 -- "$shell_only" --version
    measure bare-shell "" 0 -- bash -c 'exec true'
  done
done
# the api in one warm JVM (bench/WarmFolder.java): REPEATS + 1 rounds, the first (cold) left out
warm_file="$out/warm.txt"
: >"$warm_file"
for set in backend400 gpt2x50 gen1000; do
  java -cp "$JAR" bench/WarmFolder.java rewrite "$in/$set" "$out/warm-$set" $((REPEATS + 1)) |
    awk -v set="$set" '$2 > 1 { print "warm-" set, $3 }' >>"$warm_file"
done
java -cp "$JAR" bench/WarmFolder.java check "$in/backend400" "" $((REPEATS + 1)) |
  awk '$2 > 1 { print "warm-check", $3 }' >>"$warm_file"
warm() { awk -v name="$1" '$1 == name { print $2 }' "$warm_file" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# warm NAME FLOOR_SAMPLE: "seconds (ratio to the floor's median)"
warm_row() { awk -v w="$(warm "$1")" -v f="$(median "$2" 2)" 'BEGIN { printf "%.2f s (%.2f× the median of %s)", w / 1e3, w * 1e3 / f, "'"$2"'" }'; }
load_end="$(cut -d ' ' -f 1-3 /proc/loadavg)"
cp "$samples" "$out/samples.txt" # every sample: name, wall µs, peak RSS KiB, 1-minute load
# every output equals the first untimed one (a rewrite is deterministic)
for set in backend400 gpt2x50 gen1000; do
  diff -r "$out/ref-$set" "$out/tied-$set" >/dev/null || fail "the rewrite of $set changed between runs"
done
count() { find "$in/$1" -name '*.onnx' | wc -l; }
bytes() { du -sb "$in/$1" | cut -f 1; }

before_table=""
if [[ -n "$BEFORE" ]]; then
  before_table="
Before and after (same rounds, the before build right before this one; \`$BEFORE\`: $("${before[@]}" --version | head -n 1)):

| work | before s | before / floor | after s | after / floor | after / before |
|---|---:|---:|---:|---:|---:|
| \`rewrite DIR OUT\`, 400 backend models | $(seconds before-rewrite-backend400) | $(ratio before-rewrite-backend400 floor-backend400) | $(seconds rewrite-backend400) | $(ratio rewrite-backend400 floor-backend400) | $(ratio rewrite-backend400 before-rewrite-backend400) |
| \`check DIR\`, the same 400 (against Python's load loop) | $(seconds before-check-backend400) | $(ratio before-check-backend400 python-load-backend400) | $(seconds check-backend400) | $(ratio check-backend400 python-load-backend400) | $(ratio check-backend400 before-check-backend400) |
| \`rewrite DIR OUT\`, 50 gpt2_tied copies | $(seconds before-rewrite-gpt2x50) | $(ratio before-rewrite-gpt2x50 floor-gpt2x50) | $(seconds rewrite-gpt2x50) | $(ratio rewrite-gpt2x50 floor-gpt2x50) | $(ratio rewrite-gpt2x50 before-rewrite-gpt2x50) |
| \`rewrite DIR OUT\`, 1,000 generated models | $(seconds before-rewrite-gen1000) | $(ratio before-rewrite-gen1000 floor-gen1000) | $(seconds rewrite-gen1000) | $(ratio rewrite-gen1000 floor-gen1000) | $(ratio rewrite-gen1000 before-rewrite-gen1000) |
"
fi
report="$(
  cat <<EOF
<!-- bench/many.sh -->
## Many models in one run (bench/many.sh, issue #25)

- date: $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs ($(grep -m 1 'model name' /proc/cpuinfo | cut -d : -f 2 | xargs)); tool: \`$ONNX_TIE\` ($("${tie[@]}" --version | head -n 1))
- load average (1, 5, 15 min) at the start: $load_start; at the end: $load_end (the machine is shared: the load column is the median 1-minute load at the start of that row's samples)
- median of $REPEATS rounds, round robin; ratios are medians of each round's ratio, with their range; inputs in the page cache, outputs removed and \`sync\`ed before each run
- inputs (bench/make_many.py): backend400 = the first 400 models of ONNX's backend suite ($(count backend400) files, $(bytes backend400) bytes); gpt2x50 = 50 copies of samples/gpt2_tied ($(bytes gpt2x50) bytes); gen1000 = 1,000 generated small models, 20 holding one shared table, 10 a transposed copy ($(bytes gen1000) bytes)
- floor: read each input, write the rewrite's output bytes, fsync each file, then the folder (bench/floor_folder.py); Python: onnx 1.12 \`onnx.save(onnx.load(f))\` per file without fsync, or \`onnx.load\` per file (bench/python_folder.py)

| work | onnx-tie s | floor s | onnx-tie / floor | Python s | onnx-tie / Python | peak RSS MiB | load |
|---|---:|---:|---:|---:|---:|---:|---:|
| \`rewrite DIR OUT\`, 400 backend models | $(seconds rewrite-backend400) | $(seconds floor-backend400) | $(ratio rewrite-backend400 floor-backend400) | $(seconds python-save-backend400) | $(ratio rewrite-backend400 python-save-backend400) | $(mib rewrite-backend400) | $(load rewrite-backend400) |
| \`check DIR\`, the same 400 | $(seconds check-backend400) | | | $(seconds python-load-backend400) (load) | $(ratio check-backend400 python-load-backend400) | $(mib check-backend400) | $(load check-backend400) |
| \`rewrite DIR OUT\`, 50 gpt2_tied copies | $(seconds rewrite-gpt2x50) | $(seconds floor-gpt2x50) | $(ratio rewrite-gpt2x50 floor-gpt2x50) | $(seconds python-save-gpt2x50) | $(ratio rewrite-gpt2x50 python-save-gpt2x50) | $(mib rewrite-gpt2x50) | $(load rewrite-gpt2x50) |
| \`rewrite DIR OUT\`, 1,000 generated models | $(seconds rewrite-gen1000) | $(seconds floor-gen1000) | $(ratio rewrite-gen1000 floor-gen1000) | $(seconds python-save-gen1000) | $(ratio rewrite-gen1000 python-save-gen1000) | $(mib rewrite-gen1000) | $(load rewrite-gen1000) |

With \`--jobs auto\` (same rounds; $(nproc) cores here: $(( $(nproc) < 4 ? $(nproc) : 4 )) models at a time): 400 backend models $(seconds jobsauto-backend400) s, $(ratio jobsauto-backend400 floor-backend400) the floor; 50 gpt2_tied copies $(seconds jobsauto-gpt2x50) s, $(ratio jobsauto-gpt2x50 floor-gpt2x50); 1,000 generated models $(seconds jobsauto-gen1000) s, $(ratio jobsauto-gen1000 floor-gen1000), peak RSS $(mib jobsauto-gen1000) MiB.

The api in one warm JVM (bench/WarmFolder.java: \`OnnxTie.rewriteFolder\` and \`OnnxTie.check\` with \`Jobs.auto\` and the JVM's default compilers, $REPEATS times after a first, cold round, output removed and \`sync\`ed before each, median; what a Java pipeline or the Maven plugin pays per folder once its JVM runs): 400 backend models $(warm_row warm-backend400 floor-backend400); 50 gpt2_tied copies $(warm_row warm-gpt2x50 floor-gpt2x50); 1,000 generated models $(warm_row warm-gen1000 floor-gen1000); \`check\` of the 400 $(warm_row warm-check python-load-backend400).
$before_table
How a new output folder is made durable (same rounds):

| work | batch: files fsync'ed together (default) | ONNX_TIE_SYNC=fs: one syncfs | ONNX_TIE_SYNC=each: fsync per file and folder as written |
|---|---:|---:|---:|
| 400 backend models | $(seconds rewrite-backend400) s, load $(load rewrite-backend400) | $(seconds rewrite-fs-backend400) s, load $(load rewrite-fs-backend400); $(ratio rewrite-fs-backend400 rewrite-backend400) of the batch | $(seconds rewrite-each-backend400) s, load $(load rewrite-each-backend400); $(ratio rewrite-each-backend400 rewrite-backend400) of the batch |
| 1,000 generated models | $(seconds rewrite-gen1000) s, load $(load rewrite-gen1000) | $(seconds rewrite-fs-gen1000) s, load $(load rewrite-fs-gen1000); $(ratio rewrite-fs-gen1000 rewrite-gen1000) of the batch | $(seconds rewrite-each-gen1000) s, load $(load rewrite-each-gen1000); $(ratio rewrite-each-gen1000 rewrite-gen1000) of the batch |

Start-up: \`onnx-tie --version\` through the launcher $(seconds version) s (load $(load version)); the launcher's shell alone (final exec replaced by \`exec true\`, 10 per round) $(awk -v a="$(median launcher-shell 2)" -v b="$(median bare-shell 2)" 'BEGIN { printf "%.1f ms against %.1f ms for a bare bash -c '"'"'exec true'"'"' (+%.1f ms)", a / 1e3, b / 1e3, (a - b) / 1e3 }') (load $(load launcher-shell)).
<!-- /bench/many.sh -->
EOF
)"
if [[ -f "$RESULTS" ]] && grep -q '^<!-- bench/many.sh -->$' "$RESULTS"; then
  awk -v report="$report" '
    /^<!-- bench\/many.sh -->$/ { print report; skip = 1; next }
    /^<!-- \/bench\/many.sh -->$/ { skip = 0; next }
    !skip { print }' "$RESULTS" >"$RESULTS.tmp"
else
  { [[ -f "$RESULTS" ]] && cat "$RESULTS" && echo; echo "$report"; } >"$RESULTS.tmp"
fi
mv "$RESULTS.tmp" "$RESULTS"
echo "$report"
