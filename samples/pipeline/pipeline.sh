#!/usr/bin/env bash
# The export pipeline a CI job runs: export with torch, tie the weights back, prove it, gate on it.
#
#   samples/pipeline/pipeline.sh [WORK_DIR]
#
#   1. python3 export.py WORK_DIR/model.onnx           torch.onnx.export of a tied GPT-2-style model
#   2. onnx-tie check model.onnx                       expected to FAIL (exit 1): the export holds the
#                                                      embedding twice (wte.weight and its transpose)
#   3. onnx-tie rewrite model.onnx tied.onnx --verify  tie it; ONNX Runtime proves outputs unchanged
#   4. onnx-tie check tied.onnx                        must pass (exit 0): the CI gate
#   5. sizes before and after
#
# Environment: ONNX_TIE  the onnx-tie executable (default: the repository's ./onnx-tie launcher);
#                        to run it another way (java -jar ...), point it at a small wrapper script
#              PYTHON    the python with torch (default /usr/bin/python3)
# WORK_DIR defaults to a new temporary folder, which is kept (its path is printed).
# Exit status: 0 when every step behaved; otherwise the failing step's exit status (at least 1).
# In your own pipeline step 2 is optional: steps 3 and 4 are the part to copy.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
onnx_tie="${ONNX_TIE:-$root/onnx-tie}"
python="${PYTHON:-/usr/bin/python3}"
work="${1:-$(mktemp -d "${TMPDIR:-/tmp}/onnx-tie-pipeline.XXXXXX")}"
mkdir -p "$work"
raw="$work/model.onnx"
tied="$work/tied.onnx"

fail() { # fail STATUS MESSAGE
  echo "pipeline: FAILED: $2" >&2
  exit "$(($1 > 0 ? $1 : 1))"
}
step() { echo; echo "==> $*"; }
bytes() { wc -c <"$1" | tr -d ' '; }

echo "pipeline: work dir $work"
echo "pipeline: onnx-tie = $onnx_tie, python = $python"
rm -f "$raw" "$tied"

step "1/4 export: $python export.py $raw"
"$python" "$here/export.py" "$raw" || fail $? "export failed"
[[ -s "$raw" ]] || fail 1 "export wrote no $raw"

step "2/4 check the raw export (expect exit 1: untied duplicates)"
status=0
"$onnx_tie" check "$raw" || status=$?
case "$status" in
  1) echo "pipeline: raw export has untied duplicates (check exit 1), as expected" ;;
  0) fail 1 "check passed on the raw export: expected the folded transposed copy of wte.weight" ;;
  *) fail "$status" "check on the raw export exited $status (2: bad input, 3: internal error)" ;;
esac

step "3/4 rewrite --verify: $raw -> $tied"
status=0
"$onnx_tie" rewrite "$raw" "$tied" --verify || status=$?
((status == 0)) || fail "$status" "rewrite --verify exited $status (1: outputs differ, nothing written)"
[[ -s "$tied" ]] || fail 1 "rewrite wrote no $tied"

step "4/4 check the tied model (must exit 0)"
status=0
"$onnx_tie" check "$tied" || status=$?
((status == 0)) || fail "$status" "check on the tied model exited $status: duplicates remain"

before="$(bytes "$raw")"
after="$(bytes "$tied")"
((after < before)) || fail 1 "tied model ($after bytes) is not smaller than the export ($before bytes)"
echo
echo "pipeline: OK in ${SECONDS}s"
printf 'pipeline: size before %10d bytes  %s\n' "$before" "$raw"
printf 'pipeline: size after  %10d bytes  %s\n' "$after" "$tied"
printf 'pipeline: saved       %10d bytes (%d%%)\n' "$((before - after))" "$(((before - after) * 100 / before))"
