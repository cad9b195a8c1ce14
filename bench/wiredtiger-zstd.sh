#!/usr/bin/env bash
# Builds WiredTiger's zstd compressor extension (libwiredtiger_zstd.so), which Debian's `wiredtiger`
# package does not ship, so `npm run bench -- --only wiredtiger-bytes` can measure zstd beside snappy
# and zlib. Optional: neither the tests nor .ci/run need it.
#
# The extension must come from the source of the installed WiredTiger (3.2.1 on Debian bookworm).
# Where the source comes from, first that answers:
#   1. WT_SOURCE=/path/to/wiredtiger   a source tree (ext/compressors/zstd/zstd_compress.c inside);
#   2. WT_GIT=/path/to/wiredtiger.git  a clone of github.com/wiredtiger/wiredtiger; tag $WT_TAG is used;
#   3. `apt-get source wiredtiger`     Debian's source package (its pool may no longer carry it).
# The file is checked against the SHA-256 of zstd_compress.c at tag 3.2.1 (WT_SHA256= to override for
# another version). Needs gcc, libzstd-dev and libwiredtiger-dev (apt-get install -y gcc libzstd-dev
# libwiredtiger-dev). Output: bench/.build/libwiredtiger_zstd.so (OUT= to change), which the bench
# looks for (or WIREDTIGER_ZSTD_SO=/path/to/it).
set -euo pipefail
cd "$(dirname "$0")"

WT_TAG="${WT_TAG:-3.2.1}"
WT_SHA256="${WT_SHA256:-579808f56ef9f7b83099350d93a0794004ddaf276866f334116c2681cdcb26a3}"
OUT="${OUT:-$PWD/.build/libwiredtiger_zstd.so}"
SOURCE_FILE=ext/compressors/zstd/zstd_compress.c

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [[ -n "${WT_SOURCE:-}" ]]; then
  cp "$WT_SOURCE/$SOURCE_FILE" "$work/zstd_compress.c"
  echo "wiredtiger-zstd: source from $WT_SOURCE" >&2
elif [[ -n "${WT_GIT:-}" ]]; then
  git --git-dir="$WT_GIT" show "$WT_TAG:$SOURCE_FILE" >"$work/zstd_compress.c"
  echo "wiredtiger-zstd: source from $WT_GIT at tag $WT_TAG" >&2
else
  (cd "$work" && apt-get source --download-only wiredtiger >/dev/null 2>&1 && tar -xf wiredtiger_*.orig.tar.* 2>/dev/null) || {
    echo "wiredtiger-zstd: apt-get source wiredtiger failed (Debian's pool may no longer carry it);" >&2
    echo "  set WT_SOURCE=<source tree> or WT_GIT=<clone of github.com/wiredtiger/wiredtiger>" >&2
    exit 1
  }
  cp "$work"/wiredtiger-*/"$SOURCE_FILE" "$work/zstd_compress.c"
  echo "wiredtiger-zstd: source from apt-get source wiredtiger" >&2
fi

got="$(sha256sum "$work/zstd_compress.c" | cut -d' ' -f1)"
if [[ "$got" != "$WT_SHA256" ]]; then
  echo "wiredtiger-zstd: $SOURCE_FILE has SHA-256 $got, expected $WT_SHA256 (WiredTiger $WT_TAG)" >&2
  exit 1
fi

for header in /usr/include/zstd.h /usr/include/wiredtiger.h /usr/include/wiredtiger_ext.h; do
  [[ -f "$header" ]] || { echo "wiredtiger-zstd: $header missing (apt-get install -y libzstd-dev libwiredtiger-dev)" >&2; exit 1; }
done

# wiredtiger_config.h comes from WiredTiger's configure; an extension loaded at run time needs none of
# its settings (HAVE_BUILTIN_EXTENSION_ZSTD must stay undefined so wiredtiger_extension_init exists).
: >"$work/wiredtiger_config.h"
mkdir -p "$(dirname "$OUT")"
gcc -O2 -shared -fPIC -Wall -I"$work" -o "$OUT" "$work/zstd_compress.c" -lzstd
echo "wiredtiger-zstd: built $OUT" >&2
