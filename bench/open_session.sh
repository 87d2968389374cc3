#!/usr/bin/env bash
# TiedSession.open (tie in the memory form while loading) against opening the original with
# ONNX Runtime Java: session RSS growth, process peak RSS and load time, each in a fresh JVM
# (bench/OpenSessionRss.java), REPEATS runs round robin, medians; with prepacking on (ONNX
# Runtime's default) and off. Then, once per model (deterministic), the initializer bytes the
# session holds, counted in ONNX Runtime's own optimized model (bench/SessionInitializers.java:
# SessionOptions.setOptimizedModelFilePath, optimization level ALL), prepacking on and off.
#
#   bench/open_session.sh            samples/dynamo_tied and bench/out/gpt2_small_tied.onnx
#                                    (made by bench/make_models.py when missing)
# Environment: ONNX_TIE_JAR (default target/onnx-tie-cli.jar, the launcher's jar), REPEATS (3),
#              PYTHON (/usr/bin/python3, for make_models.py)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jar="${ONNX_TIE_JAR:-$root/target/onnx-tie-cli.jar}"
repeats="${REPEATS:-3}"
python="${PYTHON:-/usr/bin/python3}"
[[ -f "$jar" ]] || { echo "open_session.sh: no jar at $jar: run ./onnx-tie --version (builds it) or set ONNX_TIE_JAR" >&2; exit 2; }
[[ -f bench/out/gpt2_small_tied.onnx ]] || "$python" bench/make_models.py --only gpt2 >&2

models=("samples/dynamo_tied/model.onnx:512" "bench/out/gpt2_small_tied.onnx:50257")
lines="$(mktemp)"
trap 'rm -f "$lines"' EXIT
for run in $(seq "$repeats"); do
  for entry in "${models[@]}"; do
    for prepacking in on off; do
      for way in original tied; do
        flag=(); [[ "$prepacking" == off ]] && flag=(--disable-prepacking)
        java -cp "$jar" bench/OpenSessionRss.java "${entry%%:*}" "$way" "${entry##*:}" "${flag[@]}" >>"$lines" ||
          { echo "open_session.sh: failed: ${entry%%:*} $way ${flag[*]}" >&2; exit 3; }
      done
    done
  done
done

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "| model | prepacking | way | RSS right after open (MiB) | session RSS after a GC (MiB) | process peak RSS (MiB) | load (ms) | changes | logits |"
echo "|---|---|---|---:|---:|---:|---:|---:|---|"
for entry in "${models[@]}"; do
  model="${entry%%:*}"
  for prepacking in on off; do
    for way in original tied; do
      rows="$(grep -F "model=$model way=$way prepacking=$prepacking " "$lines")"
      printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$model" "$prepacking" "$way" \
        "$(field open_rss_mib <<<"$rows" | median)" "$(field session_rss_mib <<<"$rows" | median)" \
        "$(field peak_rss_mib <<<"$rows" | median)" "$(field load_ms <<<"$rows" | median)" \
        "$(field changes <<<"$rows" | head -1)" \
        "$(sed -n 's/.* output=//p' <<<"$rows" | sort -u | paste -sd/)"
    done
  done
done
echo
echo "($repeats runs each, medians; $(java -version 2>&1 | head -1); $(nproc) cores)"
echo
echo "Initializers the session holds (ONNX Runtime's optimized model, optimization level ALL; bench/SessionInitializers.java):"
echo
echo "| model | prepacking | way | initializers | initializer bytes | optimized graph's ops |"
echo "|---|---|---|---:|---:|---|"
for entry in "${models[@]}"; do
  model="${entry%%:*}"
  for prepacking in on off; do
    flag=(); [[ "$prepacking" == off ]] && flag=(--disable-prepacking)
    java -cp "$jar" bench/SessionInitializers.java "$model" "${flag[@]}" >"$lines" ||
      { echo "open_session.sh: failed: SessionInitializers $model ${flag[*]}" >&2; exit 3; }
    for way in original tied; do
      row="$(grep -F "model=$model way=$way prepacking=$prepacking " "$lines")"
      printf '| %s | %s | %s | %s | %s | %s |\n' "$model" "$prepacking" "$way" \
        "$(field initializers <<<"$row")" "$(field initializer_bytes <<<"$row")" "$(field ops <<<"$row")"
    done
  done
done
