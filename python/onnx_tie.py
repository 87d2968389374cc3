"""onnx-tie from Python: tie the duplicated weights of ONNX models in an export script.

A thin wrapper over the ``onnx-tie`` command (standard library only): each function runs one
command with ``--json`` and returns the parsed ``result`` of its JSON envelope (the schema is
src/main/resources/schemas/onnx-tie.schema.json). Failures raise :class:`OnnxTieError`, which
carries the command's exit code (2: bad input, 3: internal error, 1: a failed verification) and
its one-line message.

    import onnx_tie
    torch.onnx.export(model, args, "model.onnx")
    report = onnx_tie.rewrite("model.onnx", "tied.onnx")      # verified in ONNX Runtime
    print(report["bytesBefore"], "->", report["bytesAfter"], "bytes")
    assert onnx_tie.check("tied.onnx")["passed"]

The ``onnx-tie`` executable is found as: the ``onnx_tie`` argument of a call, else the
``ONNX_TIE`` environment variable, else ``onnx-tie`` on ``PATH`` (the repository's launcher after
``./onnx-tie install``, or the release archive's ``bin/onnx-tie``).

Every function also takes command options as keyword arguments, spelled with ``_`` for ``-``:
``True`` gives a flag (``load_as_is=True`` -> ``--load-as-is``), a list repeats the option
(``dim=["batch=2", "sequence=8"]``), anything else is ``--name=value`` (``seed=7``); ``False``
and ``None`` leave the option out.
"""

import json
import os
import shutil
import subprocess

__all__ = ["OnnxTieError", "rewrite", "check", "inspect", "verify", "launcher"]


class OnnxTieError(Exception):
    """A failed onnx-tie command: ``exit_code`` (1, 2 or 3), ``message`` (one line), and
    ``envelope`` (the parsed JSON output, or None when there was none)."""

    def __init__(self, exit_code, message, envelope=None):
        super().__init__("onnx-tie: %s (exit %d)" % (message, exit_code))
        self.exit_code = exit_code
        self.message = message
        self.envelope = envelope


def launcher(onnx_tie=None):
    """The onnx-tie executable that calls run: ``onnx_tie``, ``$ONNX_TIE`` or ``onnx-tie`` on
    PATH; raises OnnxTieError (exit code 2) when there is none."""
    candidate = onnx_tie or os.environ.get("ONNX_TIE") or shutil.which("onnx-tie")
    if not candidate:
        raise OnnxTieError(2, "no onnx-tie on PATH: install it ('./onnx-tie install' in the "
                              "repository) or pass onnx_tie='/path/to/onnx-tie'")
    if os.path.sep in candidate and not os.access(candidate, os.X_OK):
        raise OnnxTieError(2, "%s is not an executable file" % candidate)
    return candidate


def _options(options):
    args = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            args.append(flag)
        elif isinstance(value, (list, tuple)):
            args.extend("%s=%s" % (flag, item) for item in value)
        else:
            args.append("%s=%s" % (flag, value))
    return args


def _run(command, positional, options, onnx_tie, answers=(0,)):
    """Runs ``onnx-tie COMMAND --json [OPTIONS] POSITIONAL...``; returns the envelope's result
    when the exit code is one of ``answers``, raises OnnxTieError otherwise."""
    argv = [launcher(onnx_tie), command, "--json"] + _options(options) + ["--"] + \
        [os.fspath(p) for p in positional]
    try:
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, universal_newlines=True)
    except OSError as e:
        raise OnnxTieError(2, "cannot run %s: %s" % (argv[0], e.strerror or e)) from None
    try:
        envelope = json.loads(done.stdout) if done.stdout.strip() else None
    except ValueError:
        envelope = None
    if done.returncode in answers and envelope is not None:
        return envelope.get("result")
    raise OnnxTieError(done.returncode, _message(done, envelope), envelope)


def _message(done, envelope):
    error = (envelope or {}).get("error") or {}
    if error.get("message"):
        return error["message"]
    for line in reversed(done.stderr.splitlines()):
        if line.strip():
            return line[len("onnx-tie: "):] if line.startswith("onnx-tie: ") else line.strip()
    return "exited %d with no message" % done.returncode


def rewrite(src, dst, verify=True, form=None, shared_data=None, onnx_tie=None, **options):
    """Ties the duplicated weights of ``src`` (a model file or a folder of them) into ``dst``
    (may equal ``src``). With ``verify`` (the default) ONNX Runtime runs the result against the
    original before it is renamed into place: a mismatch raises (exit code 1) and writes nothing.
    ``form``: "transpose" (default) or "gemm" (the memory form). ``shared_data``: for folders, one
    external data file of this name holding every distinct tensor once (True: the default name).
    Returns the rewrite report (``result`` of ``rewrite --json``)."""
    options = dict(options, verify=verify, form=form, shared_data=shared_data)
    return _run("rewrite", [src, dst], options, onnx_tie)


def check(*paths, onnx_tie=None, **options):
    """The gate on model files or folders: returns the check report, whose ``passed`` is False
    while untied duplicates remain (exit code 1 is an answer, not an error)."""
    return _run("check", list(paths), options, onnx_tie, answers=(0, 1))


def inspect(path, onnx_tie=None, **options):
    """What a model (or a folder of models) holds: its initializers and their duplicates."""
    return _run("inspect", [path], options, onnx_tie)


def verify(a, b=None, onnx_tie=None, **options):
    """Runs ``a`` and ``b`` in ONNX Runtime on the same inputs; returns the verification report,
    whose ``passed`` is False on a mismatch (exit code 1 is an answer, not an error)."""
    return _run("verify", [a] if b is None else [a, b], options, onnx_tie, answers=(0, 1))
