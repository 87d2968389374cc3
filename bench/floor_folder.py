#!/usr/bin/python3
"""The I/O floor of a folder rewrite: for each file of IN_DIR (sorted), read every byte, write as
many bytes as the rewrite's output of that file has (from REF_DIR, the output of an earlier
onnx-tie rewrite; the input's size without it) into OUT_DIR, fsync that file; then fsync OUT_DIR.
What no tool that reads its inputs and writes each output durably, one file after another, can beat.

Usage: /usr/bin/python3 bench/floor_folder.py IN_DIR OUT_DIR [REF_DIR]
"""
import os
import sys


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    source, target = sys.argv[1], sys.argv[2]
    reference = sys.argv[3] if len(sys.argv) == 4 else None
    os.makedirs(target, exist_ok=True)
    for name in sorted(os.listdir(source)):
        path = os.path.join(source, name)
        if not os.path.isfile(path):
            continue
        with open(path, "rb", buffering=0) as f:
            data = f.read()
        size = len(data)
        if reference is not None and os.path.isfile(os.path.join(reference, name)):
            size = os.path.getsize(os.path.join(reference, name))
        if size > len(data):
            data = (data * (size // max(len(data), 1) + 1))
        view = memoryview(data)[:size]
        fd = os.open(os.path.join(target, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            done = 0
            while done < size:
                done += os.write(fd, view[done:])
            os.fsync(fd)
        finally:
            os.close(fd)
    fd = os.open(target, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
