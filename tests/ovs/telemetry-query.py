#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""telemetry-query.py SOCKET COMMAND... - ask a DPDK process's telemetry
socket (/var/run/dpdk/<file-prefix>/dpdk_telemetry.v2) each COMMAND
(e.g. /ethdev/xstats,0) and print one line per answer:
    COMMAND name=value name=value ...
for a dictionary answer, or COMMAND <json> otherwise. Exit 1 when the socket
cannot be reached or an answer is not JSON."""
import json
import socket
import sys


def query(sock, command):
    sock.send(command.encode())
    return json.loads(sock.recv(1 << 20).decode())


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: telemetry-query.py SOCKET COMMAND...")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        sock.connect(sys.argv[1])
        json.loads(sock.recv(1 << 16).decode())  # the greeting: version, pid
        for command in sys.argv[2:]:
            answer = query(sock, command).get(command.split(",")[0])
            if isinstance(answer, dict):
                print(command, " ".join(f"{k}={v}" for k, v in answer.items()))
            else:
                print(command, json.dumps(answer))
    except (OSError, ValueError) as err:
        sys.exit(f"telemetry-query: {sys.argv[1]}: {err}")
    finally:
        sock.close()


if __name__ == "__main__":
    main()
