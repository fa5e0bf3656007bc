#!/usr/bin/env python3
"""A serial line that outlives the board behind it.

native_sim's UART is a pty that zephyr.exe creates and that vanishes when the process is killed
(the "reset" of a native_sim board). The host library must keep one device path across resets, as
with a real USB-serial adapter whose board reboots, so this relay owns a pty pair of its own,
prints its slave path (the bridge path the host opens) and copies bytes both ways between it and
the current board pty. Commands on stdin, one per line:
    connect /dev/pts/N    start relaying to that pty (replaces the previous one)
    disconnect            stop relaying (bytes from the host are then dropped and counted)
Events on stdout, one per line: "pty PATH", "connected PATH", "disconnected REASON",
"dropped N" (on exit).
"""
import os
import select
import sys
import termios
import tty

CHUNK = 4096


def raw(fd):
    tty.setraw(fd, termios.TCSANOW)


def main():
    master, slave = os.openpty()
    raw(slave)
    # Keep our own slave fd open so the master never sees a hang-up when the host closes the port.
    print(f"pty {os.ttyname(slave)}", flush=True)
    board = None
    dropped = 0
    stdin = sys.stdin.fileno()
    pending = b""
    while True:
        fds = [master, stdin] + ([board] if board is not None else [])
        readable, _, _ = select.select(fds, [], [])
        if stdin in readable:
            data = os.read(stdin, 1024)
            if not data:
                break
            pending += data
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                cmd = line.decode().strip().split(" ", 1)
                if cmd[0] == "connect" and len(cmd) == 2:
                    if board is not None:
                        os.close(board)
                    board = os.open(cmd[1], os.O_RDWR | os.O_NOCTTY)
                    raw(board)
                    print(f"connected {cmd[1]}", flush=True)
                elif cmd[0] == "disconnect" and board is not None:
                    os.close(board)
                    board = None
                    print("disconnected by request", flush=True)
        if master in readable:
            try:
                data = os.read(master, CHUNK)
            except OSError:
                data = b""
            if board is None:
                dropped += len(data)
            else:
                try:
                    os.write(board, data)
                except OSError:
                    dropped += len(data)
        if board is not None and board in readable:
            try:
                data = os.read(board, CHUNK)
            except OSError as e:  # EIO: the board process went away
                data = None
                reason = e.strerror
            if not data:
                os.close(board)
                board = None
                print(f"disconnected {reason if data is None else 'EOF'}", flush=True)
            else:
                os.write(master, data)
    try:
        print(f"dropped {dropped}", flush=True)
    except BrokenPipeError:  # the runner already went away
        pass


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
