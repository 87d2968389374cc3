#!/usr/bin/python3
"""The I/O floor of a rewrite: read every input byte in user space, write OUT_BYTES bytes, fsync.

Usage: /usr/bin/python3 bench/floor.py OUT_BYTES OUTPUT INPUT...

Reads the inputs in 8 MiB blocks (readinto, no per-block allocation) and writes the blocks it read
to OUTPUT until OUT_BYTES are written (the rewrite's output size, which may be smaller or larger
than the input; a larger output repeats the input's bytes), then fsyncs OUTPUT. What no tool that
reads its whole input and writes its output durably can beat on this machine.
"""
import os
import sys

BLOCK = 8 << 20


def main():
    if len(sys.argv) < 4:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    remaining = int(sys.argv[1])
    output, inputs = sys.argv[2], sys.argv[3:]
    buffer = bytearray(BLOCK)
    view = memoryview(buffer)
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        while True:
            for path in inputs:
                with open(path, "rb", buffering=0) as f:
                    while True:
                        n = f.readinto(buffer)
                        if not n:
                            break
                        if remaining > 0:
                            write = min(n, remaining)
                            done = 0
                            while done < write:
                                done += os.write(fd, view[done:write])
                            remaining -= write
            if remaining <= 0:
                break
        os.fsync(fd)
    finally:
        os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
