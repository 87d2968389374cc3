#!/usr/bin/env bash
# The action's step (action.yml), runnable anywhere: onnx-tie check --json on INPUT_PATHS, the
# result as Markdown appended to $GITHUB_STEP_SUMMARY (and printed), passed / wasted-bytes /
# exit-code appended to $GITHUB_OUTPUT. Exit status: check's (0, 1, 2, 3); 0 instead of 1 when
# INPUT_FAIL_ON_DUPLICATES is false.
#
#   INPUT_PATHS   model files or folders, separated by spaces or new lines (required)
#   INPUT_ONNX_TIE  the executable (default onnx-tie)   INPUT_ARGS  more check options
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
onnx_tie="${INPUT_ONNX_TIE:-onnx-tie}"
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
output="${GITHUB_OUTPUT:-/dev/null}"

read -r -d '' -a paths <<<"${INPUT_PATHS:-}"
if ((${#paths[@]} == 0)); then
  echo "onnx-tie-check: no paths given (input 'paths')" >&2
  exit 2
fi
read -r -d '' -a extra <<<"${INPUT_ARGS:-}"
if ! command -v "$onnx_tie" >/dev/null; then
  echo "onnx-tie-check: $onnx_tie not found: install onnx-tie or set the input 'onnx-tie'" >&2
  printf '### onnx-tie check: error\n\n%s not found on the runner\n' "$onnx_tie" >>"$summary"
  exit 2
fi

json="$(mktemp)"
trap 'rm -f "$json"' EXIT
code=0
"$onnx_tie" check --json "${extra[@]}" -- "${paths[@]}" >"$json" || code=$?
python3 "$here/summary.py" "$json" "$code" "$output" | tee -a "$summary"
if ((code == 1)) && [[ "${INPUT_FAIL_ON_DUPLICATES:-true}" == false ]]; then
  exit 0
fi
exit "$code"
