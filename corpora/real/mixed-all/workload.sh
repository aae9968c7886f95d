#!/usr/bin/env bash
# The "mixed-all" workload: the "mixed" workload (../mixed/workload.sh: a web
# server on 127.0.0.1 hit by curl, find + grep over /usr/include, tar, a gcc
# compile loop) for 1 second instead of 4, recorded with every syscall
# (`--syscalls all`), so read/write/recv/send data (the first 80 bytes) are
# in the trace. Shorter because every syscall of the host is recorded.
set -euo pipefail
exec "$(dirname "$0")/../mixed/workload.sh" 1
