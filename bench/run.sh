#!/usr/bin/env bash
# onnx-tie benchmarks: read+write and rewrite cost on a ~309 MB GPT-2-small-sized model against cp
# and onnx.load/onnx.save, rewrite cost against the initializer count, and ONNX Runtime session
# memory (Java) of the original and both rewrite forms. Prints a markdown report and writes it to
# bench/RESULTS.md. Inputs come from bench/make_models.py; everything generated goes to bench/out/.
#
# It starts with one table of every target of issue #12: onnx-tie rewrite against cp, the I/O floor
# (bench/floor.py: read every input byte, write the output's bytes, fsync) and Python onnx
# load+save (bench/python_roundtrip.py), with peak RSS, on the 1 MB sample, the largest many_<N>,
# the 0.3 GB model and the size ladder (1, 3, 4.3 GB, external data).
#
# Usage (from anywhere):  /usr/bin/python3 bench/make_models.py --ladder 1,3,4.3 && bench/run.sh
#                         bench/run.sh --small      only the small rows (no ladder models needed)
# Environment:
#   ONNX_TIE      the command that runs onnx-tie (default: ./onnx-tie of this repo); may be
#                 "java -jar path/to/onnx-tie-...-cli.jar"
#   ONNX_TIE_JAR  the jar put on the class path of bench/SessionRss.java (default: the jar after
#                 "-jar" in ONNX_TIE, else target/onnx-tie-cli.jar, which ./onnx-tie builds)
#   PYTHON        python with onnx for the onnx.load/onnx.save baseline (default: /usr/bin/python3)
#   REPEATS       runs per measurement; the median is reported (default: 3)
#   MANY_COUNTS   initializer counts of the many_<N> models (default: "1000 2500 5000"; make the
#                 models first with make_models.py --many 1000,2500,5000,...)
#   RESULTS       where the report goes (default: bench/RESULTS.md)
#   LADDER        ladder sizes in GB for the first table (default: "1 3 4.3"; "" or --small: none)
# Needs GNU time at /usr/bin/time (Debian: apt-get install -y time) for peak RSS.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
ONNX_TIE="${ONNX_TIE:-./onnx-tie}"
PYTHON="${PYTHON:-/usr/bin/python3}"
REPEATS="${REPEATS:-3}"
RESULTS="${RESULTS:-bench/RESULTS.md}"
read -r -a tie <<<"$ONNX_TIE"
if [[ -z "${ONNX_TIE_JAR:-}" ]]; then
  ONNX_TIE_JAR=target/onnx-tie-cli.jar
  for ((i = 0; i + 1 < ${#tie[@]}; i++)); do
    [[ "${tie[i]}" == "-jar" ]] && ONNX_TIE_JAR="${tie[i + 1]}"
  done
fi
out=bench/out
logs="$out/logs"
big="$out/gpt2_small_tied.onnx"
read -r -a many_counts <<<"${MANY_COUNTS:-1000 2500 5000}"
read -r -a ladder_sizes <<<"${LADDER-1 3 4.3}"
if [[ "${1:-}" == "--small" ]]; then
  ladder_sizes=()
elif [[ -n "${1:-}" ]]; then
  echo "usage: bench/run.sh [--small]" >&2
  exit 2
fi

fail() { echo "run.sh: $*" >&2; exit 2; }
if ! /usr/bin/time -f %M -o /dev/null true 2>/dev/null; then
  fail "needs GNU time at /usr/bin/time for peak RSS; on Debian: apt-get install -y time"
fi
for model in "$big" "${many_counts[@]/#/$out/many_}"; do
  model="${model%.onnx}.onnx"
  [[ -f "$model" ]] || fail "missing $model; run: /usr/bin/python3 bench/make_models.py"
done
for size in "${ladder_sizes[@]}"; do
  [[ -f "$out/ladder_${size}g/model.onnx" ]] ||
    fail "missing $out/ladder_${size}g/model.onnx; run: /usr/bin/python3 bench/make_models.py --only ladder --ladder ${size} (or bench/run.sh --small)"
done
mkdir -p "$logs"

# Untimed warm-up: ./onnx-tie builds its jar here when sources changed, not inside a measurement.
"${tie[@]}" --version >/dev/null
[[ -f "$ONNX_TIE_JAR" ]] || fail "no jar at $ONNX_TIE_JAR for SessionRss; set ONNX_TIE_JAR"
tool_version="$("${tie[@]}" --version | head -n 1)"

# measure NAME OUTPUT -- CMD...: runs CMD once (OUTPUT removed and dirty pages synced first) and
# appends "NAME wall_seconds peak_rss_kib" to $samples; CMD's stdout/stderr go to $logs/NAME.log.
load_start="$(cut -d ' ' -f 1-3 /proc/loadavg)"
samples="$(mktemp)"
rss_file="$(mktemp)"
trap 'rm -f "$samples" "$rss_file"' EXIT
measure() {
  local name="$1" output="$2"
  shift 3
  # only regular files: the startup measurement passes /dev/null, which root must never delete
  for file in "$output" "$output.data"; do
    if [[ -f "$file" ]]; then rm -f "$file"; fi
  done
  sync
  local start end
  start=$(date +%s%N)
  if ! /usr/bin/time -f %M -o "$rss_file" "$@" >"$logs/$name.log" 2>&1; then
    echo "run.sh: $name failed: $*" >&2
    cat "$logs/$name.log" >&2
    exit 3
  fi
  end=$(date +%s%N)
  echo "$name $(((end - start) / 1000)) $(tail -n 1 "$rss_file")" >>"$samples"
}
# median NAME COLUMN: median of column 2 (wall, µs) or 3 (RSS, KiB) of NAME's samples.
median() {
  awk -v name="$1" -v col="$2" '$1 == name { print $col }' "$samples" | sort -n |
    awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# spread NAME: "min–max" of NAME's wall times, in seconds.
spread() {
  awk -v name="$1" '$1 == name { w = $2 / 1e6; if (n++ == 0 || w < lo) lo = w; if (w > hi) hi = w }
    END { printf "%.2f–%.2f", lo, hi }' "$samples"
}
# round_ratios A B: "min–max" of A's wall over B's in each round (the i-th sample of each): the
# floor's own fsync swings 2–3× between runs, so one ratio of medians can pass or fail by chance
round_ratios() {
  awk -v a="$1" -v b="$2" '$1 == a { x[++na] = $2 } $1 == b { y[++nb] = $2 }
    END { for (i = 1; i <= na && i <= nb; i++) { r = x[i] / y[i]; if (i == 1 || r < lo) lo = r; if (r > hi) hi = r }
      printf "%.2f–%.2f×", lo, hi }' "$samples"
}
size_of() { if [[ -f "$1" ]]; then stat -c %s "$1"; else echo 0; fi; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

echo "== read+write and rewrite of $big ($REPEATS runs each, round robin)" >&2
cases=(cp readwrite rewrite gemm python)
declare -A case_label case_output
case_label[cp]='`cp`'
case_label[readwrite]='onnx-tie read+write, no ties (`rewrite --min-bytes 9223372036854775807`)'
case_label[rewrite]='onnx-tie `rewrite` (transpose form)'
case_label[gemm]='onnx-tie `rewrite --form gemm`'
case_label[python]='python `onnx.save(onnx.load(a), b)`'
case_output[cp]="$out/gpt2.cp.onnx"
case_output[readwrite]="$out/gpt2.readwrite.onnx"
case_output[rewrite]="$out/gpt2.transpose.onnx"
case_output[gemm]="$out/gpt2.gemm.onnx"
case_output[python]="$out/gpt2.python.onnx"
for ((run = 1; run <= REPEATS; run++)); do
  echo "   run $run/$REPEATS" >&2
  measure cp "${case_output[cp]}" -- cp "$big" "${case_output[cp]}"
  measure readwrite "${case_output[readwrite]}" -- \
    "${tie[@]}" rewrite --min-bytes 9223372036854775807 "$big" "${case_output[readwrite]}"
  measure rewrite "${case_output[rewrite]}" -- "${tie[@]}" rewrite "$big" "${case_output[rewrite]}"
  measure gemm "${case_output[gemm]}" -- "${tie[@]}" rewrite --form gemm "$big" "${case_output[gemm]}"
  measure python "${case_output[python]}" -- \
    "$PYTHON" -c 'import onnx, sys; onnx.save(onnx.load(sys.argv[1]), sys.argv[2])' "$big" "${case_output[python]}"
done
cp_wall=$(median cp 2)
cp_rss=$(median cp 3)

echo "== rewrite against initializer count ($REPEATS runs each)" >&2
for ((run = 1; run <= REPEATS; run++)); do
  measure startup /dev/null -- "${tie[@]}" --version
  for count in "${many_counts[@]}"; do
    measure "many_$count" "$out/many_$count.tied.onnx" -- \
      "${tie[@]}" rewrite "$out/many_$count.onnx" "$out/many_$count.tied.onnx"
  done
done

echo "== targets: rewrite against cp, the I/O floor and Python ($REPEATS runs each, round robin)" >&2
declare -A row_model
rows=(sample_1mb "many_${many_counts[${#many_counts[@]} - 1]}" gpt2_0.3g)
row_model[sample_1mb]=samples/gpt2_tied/model.onnx
row_model[${rows[1]}]="$out/${rows[1]}.onnx"
row_model[gpt2_0.3g]="$big"
for size in "${ladder_sizes[@]}"; do
  rows+=("ladder_${size}g")
  row_model[ladder_${size}g]="$out/ladder_${size}g/model.onnx"
done
# inputs_of MODEL: the model file and its external data file (MODEL.data) if there is one
inputs_of() { if [[ -f "$1.data" ]]; then echo "$1" "$1.data"; else echo "$1"; fi; }
declare -A row_in row_out
for ((run = 1; run <= REPEATS; run++)); do
  echo "   run $run/$REPEATS" >&2
  measure version /dev/null -- "${tie[@]}" --version
  for row in "${rows[@]}"; do
    model="${row_model[$row]}" dir="$out/targets/$row"
    read -r -a inputs <<<"$(inputs_of "$model")"
    rm -rf "$dir" && mkdir -p "$dir/cp"
    measure "cp_$row" /dev/null -- cp "${inputs[@]}" "$dir/cp/"
    rm -rf "$dir/cp"
    measure "rewrite_$row" "$dir/tied.onnx" -- "${tie[@]}" rewrite "$model" "$dir/tied.onnx"
    row_in[$row]=$(stat -c %s "${inputs[@]}" | awk '{ s += $1 } END { print s }')
    row_out[$row]=$(($(size_of "$dir/tied.onnx") + $(size_of "$dir/tied.onnx.data")))
    rm -f "$dir/tied.onnx" "$dir/tied.onnx.data"
    measure "floor_$row" "$dir/floor.bin" -- "$PYTHON" bench/floor.py "${row_out[$row]}" "$dir/floor.bin" "${inputs[@]}"
    rm -f "$dir/floor.bin"
    measure "python_$row" "$dir/python.onnx" -- "$PYTHON" bench/python_roundtrip.py "$model" "$dir/python.onnx"
    rm -rf "$dir"
  done
done

echo "== verify of $big against its rewrite ($REPEATS runs)" >&2
for ((run = 1; run <= REPEATS; run++)); do
  measure verify_gpt2 /dev/null -- "${tie[@]}" verify "$big" "${case_output[rewrite]}"
  measure verify_gpt2_as_is /dev/null -- "${tie[@]}" verify --load-as-is "$big" "${case_output[rewrite]}"
done

echo "== ONNX Runtime session memory (bench/SessionRss.java, fresh JVM each, $REPEATS runs each)" >&2
session_models=(original:"$big" transpose:"${case_output[rewrite]}" gemm:"${case_output[gemm]}")
session_lines="$(mktemp)"
trap 'rm -f "$samples" "$rss_file" "$session_lines"' EXIT
for ((run = 1; run <= REPEATS; run++)); do
  for entry in "${session_models[@]}"; do
    form="${entry%%:*}" model="${entry#*:}"
    for prepacking in on off; do
      flag=()
      [[ "$prepacking" == off ]] && flag=(--disable-prepacking)
      line="$(java -cp "$ONNX_TIE_JAR" bench/SessionRss.java "$model" "${flag[@]}")" ||
        { echo "run.sh: SessionRss failed on $model ${flag[*]}" >&2; exit 3; }
      echo "$form $prepacking $line" >>"$session_lines"
      echo "$form $prepacking $line" >"$logs/session_${form}_${prepacking}.log"
    done
  done
done
# session_median FORM PREPACKING FIELD: median of a key=value field of SessionRss's lines.
session_median() {
  awk -v form="$1" -v pp="$2" -v key="$3" '$1 == form && $2 == pp {
      for (i = 3; i <= NF; i++) if (index($i, key "=") == 1) print substr($i, length(key) + 2) }' \
    "$session_lines" | sort -n |
    awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
session_output() {
  awk -v form="$1" -v pp="$2" '$1 == form && $2 == pp {
      for (i = 3; i <= NF; i++) if ($i ~ /^(sum|crc32)=/) s = s " " $i; print substr(s, 2); exit }' \
    "$session_lines"
}

{
  echo "# onnx-tie benchmark results"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- tool: \`$ONNX_TIE\` ($tool_version); session jar: \`$ONNX_TIE_JAR\`"
  echo "- machine: $(nproc) CPUs ($(grep -m 1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), kernel $(uname -r)"
  echo "- load average (1, 5, 15 min) at the start: $load_start; at the end: $(cut -d ' ' -f 1-3 /proc/loadavg)"
  echo "- memory (\`free -g\`):"
  echo
  free -g | sed 's/^/      /'
  echo
  echo "- java: $(java -version 2>&1 | head -n 2 | tr '\n' ' ' | sed 's/ *$//')"
  echo "- python: $("$PYTHON" -c 'import onnx, numpy, sys; print(sys.version.split()[0], "onnx", onnx.__version__, "numpy", numpy.__version__)')"
  echo "- median of $REPEATS runs; wall clock from \`date +%s%N\`, peak RSS from GNU time (\`%M\`); inputs in the page cache; outputs deleted and \`sync\`ed before each run"
  echo
  echo "## Targets: rewrite against cp, the I/O floor and Python onnx"
  echo
  echo "floor: read every input byte in user space, write the rewrite's output bytes, fsync (bench/floor.py); python: \`onnx.save(onnx.load(a), b)\`, external data kept external (bench/python_roundtrip.py). Wall medians in seconds; RSS is the rewrite's peak."
  echo
  echo "| model | input (MiB) | output (MiB) | cp | floor | floor min–max | rewrite | rewrite / floor | rewrite / floor, per round | python | rewrite / python | rewrite peak RSS (MiB) | RSS / input | python peak RSS (MiB) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for row in "${rows[@]}"; do
    awk -v name="$row" -v in_b="${row_in[$row]}" -v out_b="${row_out[$row]}" -v c="$(median "cp_$row" 2)" \
      -v f="$(median "floor_$row" 2)" -v r="$(median "rewrite_$row" 2)" -v p="$(median "python_$row" 2)" \
      -v rr="$(median "rewrite_$row" 3)" -v pr="$(median "python_$row" 3)" -v fs="$(spread "floor_$row")" \
      -v rounds="$(round_ratios "rewrite_$row" "floor_$row")" 'BEGIN {
        printf "| %s | %.1f | %.1f | %.2f | %.2f | %s | %.2f | %.2f× | %s | %.2f | %.2f× | %.0f | %.2f× | %.0f |\n", name, in_b / 1048576,
          out_b / 1048576, c / 1e6, f / 1e6, fs, r / 1e6, r / f, rounds, p / 1e6, r / p, rr / 1024, rr * 1024 / in_b, pr / 1024 }'
  done
  echo
  awk -v v="$(median version 2)" -v range="$(spread version)" 'BEGIN {
    printf "`onnx-tie --version` (JVM start and exit through the launcher, measured in the same round robin): %.2f s (%s; target ≤ 0.20 s)\n\n", v / 1e6, range }'
  awk -v w="$(median verify_gpt2 2)" -v r="$(median verify_gpt2 3)" -v in_b="$(size_of "$big")" \
    -v ort="$(session_median original on peak_rss_mib)" 'BEGIN {
      printf "verify of gpt2_0.3g against its rewrite (sessions one at a time): %.2f s, peak RSS %.0f MiB = %.2f× the input (target ≤ 1.70×); a bare ONNX Runtime session of the original in a fresh JVM (bench/SessionRss.java) peaks at %.0f MiB = %.2f×\n",
        w / 1e6, r / 1024, r * 1024 / in_b, ort, ort * 1048576 / in_b }'
  awk -v w="$(median verify_gpt2_as_is 2)" -v r="$(median verify_gpt2_as_is 3)" -v in_b="$(size_of "$big")" 'BEGIN {
      printf "(the same with `--load-as-is`, ONNX Runtime loading each single-file model as it is instead of mapping the weights of a page-aligned copy: %.2f s, peak RSS %.0f MiB = %.2f×)\n",
        w / 1e6, r / 1024, r * 1024 / in_b }'
  echo
  echo "## Read+write and rewrite of gpt2_small_tied.onnx ($(mib "$(size_of "$big")") MiB, one file)"
  echo
  echo "| operation | wall (s) | wall min–max (s) | wall / cp | peak RSS (MiB) | RSS / cp | output (MiB) |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for name in "${cases[@]}"; do
    wall=$(median "$name" 2) rss=$(median "$name" 3)
    awk -v label="${case_label[$name]}" -v w="$wall" -v r="$rss" -v cw="$cp_wall" -v cr="$cp_rss" \
      -v size="$(size_of "${case_output[$name]}")" -v range="$(spread "$name")" 'BEGIN {
        printf "| %s | %.2f | %s | %.1f× | %.1f | %.0f× | %.1f |\n", label, w / 1e6, range, w / cw, r / 1024, r / cr, size / 1048576 }'
  done
  echo
  echo "## Rewrite against initializer count (16×16 float32 each, ~10% duplicates)"
  echo
  startup=$(median startup 2)
  awk -v s="$startup" -v range="$(spread startup)" 'BEGIN {
    printf "JVM start + CLI (`--version`): %.2f s (%s)\n\n", s / 1e6, range }'
  echo "| model | initializers | ties | wall (s) | wall min–max (s) | wall / initializer (µs) | (wall − start) / initializer (µs) | marginal vs previous row (µs / initializer) | peak RSS (MiB) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  previous_count=0 previous_wall=$startup
  for count in "${many_counts[@]}"; do
    wall=$(median "many_$count" 2) rss=$(median "many_$count" 3)
    ties=$(grep -c '^  tied ' "$logs/many_$count.log" || true)
    awk -v c="$count" -v t="$ties" -v w="$wall" -v s="$startup" -v r="$rss" -v pc="$previous_count" -v pw="$previous_wall" \
      -v range="$(spread "many_$count")" 'BEGIN {
      printf "| many_%d | %d | %d | %.2f | %s | %.0f | %.0f | %.0f | %.0f |\n", c, c, t, w / 1e6, range, w / c, (w - s) / c, (w - pw) / (c - pc), r / 1024 }'
    previous_count=$count previous_wall=$wall
  done
  first=${many_counts[0]} last=${many_counts[${#many_counts[@]} - 1]}
  awk -v a="$(median "many_$first" 2)" -v b="$(median "many_$last" 2)" -v ca="$first" -v cb="$last" 'BEGIN {
    printf "\nMarginal cost between many_%d and many_%d: %.0f µs per initializer.\n", ca, cb, (b - a) / (cb - ca) }'
  echo
  echo "## ONNX Runtime session memory (Java, optimization level ALL)"
  echo
  echo "RSS growth across \`env.createSession(model, opts)\` in a fresh JVM (bench/SessionRss.java), then one run on input_ids [1, 8]."
  echo
  echo "| model | prepacking | session RSS (MiB) | vs original, same prepacking | process peak RSS (MiB) | logits sum, CRC-32 |"
  echo "|---|---|---:|---:|---:|---|"
  for entry in "${session_models[@]}"; do
    form="${entry%%:*}" model="${entry#*:}"
    for prepacking in on off; do
      growth=$(session_median "$form" "$prepacking" session_rss_mib)
      base=$(session_median original "$prepacking" session_rss_mib)
      peak=$(session_median "$form" "$prepacking" peak_rss_mib)
      awk -v m="$form (\`${model#"$out/"}\`)" -v p="$prepacking" -v g="$growth" -v b="$base" -v k="$peak" \
        -v o="$(session_output "$form" "$prepacking")" 'BEGIN {
          printf "| %s | %s | %.1f | %+.1f | %.1f | %s |\n", m, p, g, g - b, k, o }'
    done
  done
  echo
  ladder_csv=$(IFS=,; echo "${ladder_sizes[*]}")
  echo "Commands: \`/usr/bin/python3 bench/make_models.py --ladder $ladder_csv && LADDER=\"${ladder_sizes[*]}\" ONNX_TIE=\"$ONNX_TIE\" bench/run.sh\`"
} >"$RESULTS.tmp"
# the sections other scripts keep in the same file (bench/many.sh's, bench/open_session.sh's) stay
for kept in many open_session; do
  if [[ -f "$RESULTS" ]] && grep -q "^<!-- bench/$kept.sh -->\$" "$RESULTS"; then
    { echo; sed -n "/^<!-- bench\/$kept.sh -->\$/,/^<!-- \/bench\/$kept.sh -->\$/p" "$RESULTS"; } >>"$RESULTS.tmp"
  fi
done
mv "$RESULTS.tmp" "$RESULTS"
cat "$RESULTS"
