#!/bin/sh
# Build the sysreplay eBPF probe reproducibly.
#   capture/bpf/build.sh            rebuild capture/bpf/probe.bpf.o in place
#   capture/bpf/build.sh --check    rebuild into a temp file and fail if it differs
#                                   from the committed probe.bpf.o
#   capture/bpf/build.sh -o FILE    rebuild into FILE
# Needs clang-19 and llvm-strip-19 (Debian: apt-get install -y clang-19 llvm-19).
# The one place the probe's compiler flags live: capture/build.rs runs this script.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
CLANG=${CLANG:-clang-19}
STRIP=${LLVM_STRIP:-llvm-strip-19}
mode=build
out="$here/probe.bpf.o"
case "${1:-}" in
--check) mode=check; out=$(mktemp /tmp/sysreplay-probe.XXXXXX.o) ;;
-o) out=$2 ;;
"") ;;
*) echo "usage: $0 [--check | -o FILE]" >&2; exit 2 ;;
esac
for t in "$CLANG" "$STRIP"; do
	command -v "$t" >/dev/null 2>&1 || { echo "build.sh: $t not found (apt-get install -y clang-19 llvm-19)" >&2; exit 2; }
done
cd "$here"
# Relative source paths + prefix maps: no absolute path of this checkout ends up in the object.
"$CLANG" -target bpf -mcpu=v3 -O2 -g -Wall -Werror -Wno-unused-function \
	-ffile-prefix-map="$here"=. -fdebug-compilation-dir=. -fno-ident \
	-nostdinc -c probe.bpf.c -o "$out.tmp"
# Drop DWARF, keep .BTF / .BTF.ext (CO-RE relocations and BTF map definitions).
"$STRIP" -g "$out.tmp" -o "$out"
rm -f "$out.tmp"
if [ "$mode" = check ]; then
	if cmp -s "$out" "$here/probe.bpf.o"; then
		echo "probe.bpf.o is up to date ($(sha256sum <"$out" | cut -c1-16))"
		rm -f "$out"
	else
		echo "probe.bpf.o differs from a rebuild of probe.bpf.c: run capture/bpf/build.sh and commit it" >&2
		echo "  committed: $(sha256sum <"$here/probe.bpf.o" | cut -c1-16)  rebuilt: $(sha256sum <"$out" | cut -c1-16) ($out)" >&2
		exit 1
	fi
fi
