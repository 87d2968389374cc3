"""Markdown of an 'onnx-tie check --json' envelope, for a CI job summary (standard library only).

    python3 summary.py ENVELOPE.json EXIT_CODE [GITHUB_OUTPUT]

Prints the Markdown; appends passed=, wasted-bytes= and exit-code= to GITHUB_OUTPUT when given.
"""

import json
import sys


def cell(value):
    return str(value).replace("|", "\\|").replace("\n", " ")


def relation(rel):
    kind = rel.get("kind", "")
    if rel.get("perm"):
        return "%s %s" % (kind, rel["perm"])
    return kind


def render(envelope, code):
    lines = []
    result = (envelope or {}).get("result")
    error = (envelope or {}).get("error")
    if result is None:
        message = (error or {}).get("message") or "onnx-tie check exited %d with no result" % code
        lines += ["### onnx-tie check: error (exit %d)" % code, "", cell(message)]
        return lines
    verdict = "passed" if result.get("passed") else "failed"
    lines += ["### onnx-tie check: %s" % verdict, ""]
    rows = []
    for file, groups in (result.get("withinFiles") or {}).items():
        for group in groups:
            for member in group.get("members", []):
                rows.append((file, member["name"], member["shape"], relation(member["relation"]),
                             group["kept"], member["bytes"]))
    for group in result.get("acrossFiles") or []:
        for copy in group.get("copies", []):
            if not copy.get("storedOnce"):
                rows.append((copy["file"], copy["tensor"], copy["shape"], relation(copy["relation"]),
                             "%s in %s" % (group["tensor"], group["file"]), copy["bytes"]))
    if rows:
        lines += ["| file | tensor | shape | is | of | bytes |", "|---|---|---|---|---|---:|"]
        lines += ["| %s |" % " | ".join(cell(v) for v in row) for row in rows]
        lines.append("")
    if result.get("wastedBytes"):
        lines.append("**%d bytes** in untied duplicates (files %s -> %s bytes after the fix)." % (
            result["wastedBytes"], result.get("bytesBefore"), result.get("bytesAfter")))
    for kept in result.get("kept") or []:
        lines.append("- kept %s in %s: %s" % (cell(kept.get("tensor")), cell(kept.get("file")),
                                              cell(kept.get("reason"))))
    for refused in result.get("refused") or []:
        lines.append("- refused %s: %s" % (cell(refused.get("path")), cell(refused.get("reason"))))
    if result.get("fix"):
        lines += ["", "Fix:", "", "```sh", result["fix"], "```"]
    elif result.get("noFix"):
        lines += ["", "No rewrite suggested: %s" % cell(result["noFix"])]
    if result.get("passed") and not rows:
        lines.append("No untied duplicates of at least %s bytes." % result.get("minBytes"))
    if error and error.get("message"):
        lines += ["", "Error (exit %d): %s" % (code, cell(error["message"]))]
    return lines


def main():
    path, code = sys.argv[1], int(sys.argv[2])
    try:
        with open(path) as f:
            envelope = json.load(f)
    except ValueError:
        envelope = None
    print("\n".join(render(envelope, code)))
    if len(sys.argv) > 3:
        result = (envelope or {}).get("result") or {}
        with open(sys.argv[3], "a") as out:
            out.write("passed=%s\n" % ("true" if result.get("passed") else "false"))
            out.write("wasted-bytes=%d\n" % (result.get("wastedBytes") or 0))
            out.write("exit-code=%d\n" % code)


if __name__ == "__main__":
    main()
