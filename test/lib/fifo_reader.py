#!/usr/bin/env python3
"""fifo_reader.py FIFO OUT -- CMD ARGS...

Runs CMD while a thread reads the FIFO (made beforehand with mkfifo) to its
end and saves what it read in OUT; exits with CMD's status (1 if CMD was
killed by a signal, after saying so). A command that never opens the FIFO
does not leave the reader waiting: once CMD ends, the FIFO is opened for
writing once, which releases it. CMD gets at most 300 seconds.
"""
import os
import subprocess
import sys
import threading
import time


def main(argv):
    if len(argv) < 4 or argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    fifo, out, cmd = argv[0], argv[1], argv[3:]
    data = bytearray()

    def read():
        fd = os.open(fifo, os.O_RDONLY)  # blocks until a writer opens it
        try:
            while True:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    break
                data.extend(chunk)
        finally:
            os.close(fd)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    status = subprocess.run(cmd, timeout=300).returncode
    # Release a reader still waiting for a writer (CMD never opened it).
    deadline = time.time() + 30
    while reader.is_alive() and time.time() < deadline:
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass  # no reader waiting yet (ENXIO): try again
        reader.join(0.1)
    with open(out, "wb") as f:
        f.write(bytes(data))
    if status < 0:
        print("fifo_reader: %s killed by signal %d" % (cmd[0], -status),
              file=sys.stderr)
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
