#!/usr/bin/env bash
# Where ONNX Runtime holds a weight twice, measured: the table of docs/memory.md is this script's
# output, not written by hand (TransposedTiesTableTest checks that docs/memory.md shows exactly
# bench/transposed-ties.tsv).
#
# For each model of bench/transposed_ties.py (a 30.7 MiB weight W read by a Transpose alone or by a
# Gather too) and onnx-tie's rewrites of them: whether `onnx-tie check --transposed-ties` fails on
# it, and the RSS growth in a fresh JVM (bench/SessionRss.java, optimization level ALL, ONNX Runtime
# loading the file as it is) across createSession and across createSession plus one run (the
# weight pages a session only touches when it runs count then), median of REPEATS runs: what ONNX
# Runtime holds (MALLOC_MMAP_THRESHOLD_=131072: glibc gives every freed block of 128 KiB or more
# back at once) with prepacking on and off, and the RSS with glibc's defaults, prepacking off (a
# block freed while loading may stay in the process, reusable but counted). Writes bench/transposed-ties.tsv and the table between the markers in
# docs/memory.md, and prints the table.
#
# Usage (from anywhere):  bench/transposed_ties.sh
# Environment: ONNX_TIE, ONNX_TIE_JAR, PYTHON, REPEATS (default 3) as for bench/run.sh.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
ONNX_TIE="${ONNX_TIE:-./onnx-tie}"
PYTHON="${PYTHON:-/usr/bin/python3}"
REPEATS="${REPEATS:-3}"
read -r -a tie <<<"$ONNX_TIE"
if [[ -z "${ONNX_TIE_JAR:-}" ]]; then
  ONNX_TIE_JAR=target/onnx-tie-cli.jar
  for ((i = 0; i + 1 < ${#tie[@]}; i++)); do
    [[ "${tie[i]}" == "-jar" ]] && ONNX_TIE_JAR="${tie[i + 1]}"
  done
fi
out=bench/out/transposed
tsv=bench/transposed-ties.tsv

"$PYTHON" bench/transposed_ties.py "$out"
"${tie[@]}" --version >/dev/null   # ./onnx-tie builds its jar here when sources changed
ort="$("${tie[@]}" --version | sed -n 's/^ONNX Runtime \([^ ]*\).*/\1/p')"

"${tie[@]}" -q rewrite "$out/pair_stored.onnx" "$out/pair_transpose.onnx" >/dev/null
"${tie[@]}" -q rewrite "$out/pair_stored.onnx" "$out/pair_gemm.onnx" --form gemm >/dev/null
"${tie[@]}" -q rewrite "$out/single_transpose.onnx" "$out/single_gemm_rewrite.onnx" --form gemm >/dev/null
if ! cmp -s "$out/single_transpose.onnx" "$out/single_gemm_rewrite.onnx" &&
  "${tie[@]}" inspect "$out/single_gemm_rewrite.onnx" | grep -q Gemm; then
  echo "transposed_ties.sh: rewrite --form gemm turned the single-reader Transpose into Gemm" >&2
  exit 3
fi

# rows: file, what reads W, form
rows=(
  "single_transpose|Transpose alone|Transpose(W) → MatMul"
  "single_gemm|Gemm alone|Gemm(x, W, transB=1)"
  "pair_stored|Gather + MatMul|W and a stored transposed copy (as exported)"
  "pair_transpose|Gather + Transpose|Transpose(W) → MatMul (\`rewrite\`)"
  "pair_gemm|Gather + Gemm|Gemm(x, W, transB=1) (\`rewrite --form gemm\`)"
)

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
{
  printf "# bench/transposed_ties.sh, ONNX Runtime %s (Java), median of %s fresh JVMs; RSS growth in MiB after createSession / after one run\n" "$ort" "$REPEATS"
  printf "model\treaders\tform\tfile_mib\tcheck_transposed_ties\theld_prepacking_on\theld_prepacking_off\trss_glibc_defaults_prepacking_off\n"
} >"$tsv.tmp"
for row in "${rows[@]}"; do
  IFS='|' read -r name readers form <<<"$row"
  model="$out/$name.onnx"
  if "${tie[@]}" check "$model" --transposed-ties >/dev/null 2>&1; then check=passes; else check=fails; fi
  rss=()
  # what ONNX Runtime holds (glibc returns every freed block of 128 KiB or more to the system at
  # once), with prepacking on and off; then prepacking off with glibc's defaults, under which a
  # block ONNX Runtime freed while loading (the W it folded into a transposed copy) stays in RSS
  for setting in "131072|" "131072|--disable-prepacking" "|--disable-prepacking"; do
    IFS='|' read -r threshold flag <<<"$setting"
    created=()
    ran=()
    for ((r = 0; r < REPEATS; r++)); do
      if [[ -n "$threshold" ]]; then
        line="$(MALLOC_MMAP_THRESHOLD_="$threshold" java -cp "$ONNX_TIE_JAR" bench/SessionRss.java "$model" $flag)"
      else
        line="$(java -cp "$ONNX_TIE_JAR" bench/SessionRss.java "$model" $flag)"
      fi
      created+=("$(sed -n 's/.* session_rss_mib=\([^ ]*\).*/\1/p' <<<"$line")")
      ran+=("$(sed -n 's/.* session_run_rss_mib=\([^ ]*\).*/\1/p' <<<"$line")")
    done
    rss+=("$(printf '%s\n' "${created[@]}" | median) / $(printf '%s\n' "${ran[@]}" | median)")
  done
  file_mib="$(awk -v b="$(stat -c %s "$model")" 'BEGIN { printf "%.1f", b / 1048576 }')"
  printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$name" "$readers" "$form" "$file_mib" "$check" "${rss[0]}" "${rss[1]}" "${rss[2]}" >>"$tsv.tmp"
done
mv "$tsv.tmp" "$tsv"

# the table of docs/memory.md: one row per line of the TSV (TransposedTiesTableTest renders it the same way)
table="$(awk -F '\t' 'NR == 2 { print "| what reads W | form | file (MiB) | `check --transposed-ties` | held by ONNX Runtime, default: created / run (MiB) | held, prepacking off: created / run (MiB) | RSS with glibc defaults, prepacking off: created / run (MiB) |"; print "|---|---|---:|---|---:|---:|---:|" }
  NR > 2 { printf "| %s | %s | %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6, $7, $8 }' "$tsv")"
begin='<!-- begin: bench/transposed_ties.sh -->'
end='<!-- end: bench/transposed_ties.sh -->'
doc=docs/memory.md
grep -qF "$begin" "$doc" && grep -qF "$end" "$doc" || { echo "transposed_ties.sh: no markers in $doc" >&2; exit 3; }
awk -v begin="$begin" -v end="$end" -v table="$table" -v head="$(head -n 1 "$tsv" | sed 's/^# //')" '
  $0 == begin { print; print "Measured by " head ":"; print ""; print table; skip = 1; next }
  $0 == end { skip = 0 }
  !skip { print }' "$doc" >"$doc.tmp"
mv "$doc.tmp" "$doc"
echo "$table"
