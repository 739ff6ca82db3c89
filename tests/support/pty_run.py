"""Run a command on a new pseudo-terminal, as a terminal session would.

Usage: pty_run.py READY_FILE KEYS CMD [ARGS...]

Starts CMD as the session's foreground process group on a new pty, waits
until READY_FILE exists, types KEYS (escape sequences such as \\x03 for
Ctrl-C are decoded) on the terminal, then reads what the terminal shows
until CMD ends. Prints CMD's exit status (128+N for a signal) on stdout, and
what the terminal showed on stderr.
"""
import os
import pty
import sys
import time


def main(ready, keys, *cmd):
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], list(cmd))
    deadline = time.time() + 20
    while not os.path.exists(ready):
        if time.time() > deadline:
            os.kill(pid, 9)
            sys.exit("the command never got ready")
        time.sleep(0.02)
    os.write(fd, keys.encode().decode("unicode_escape").encode("latin-1"))
    shown = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    sys.stderr.write(shown.decode("utf-8", "replace"))
    _, status = os.waitpid(pid, 0)
    print(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


if __name__ == "__main__":
    main(*sys.argv[1:])
