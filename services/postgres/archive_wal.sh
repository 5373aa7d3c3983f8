#!/bin/sh
# The archive_command of HailMary's PostgreSQL (services.postgres.pitr.mode: archive):
#   archive_wal.sh %p %f ARCHIVE_DIR
# Copies one finished WAL file (segment, timeline history, backup history) into
# the WAL archive: a temp name, its sha256 in NAME.sha256, both fsynced, then a
# hard link to the final name (which fails rather than replace anything) and an
# fsync of the folder. A file already archived with the same content is
# accepted (the server retries after a crash); different content is refused:
# the archive is never overwritten. Exit 0 only when the file is durable.
set -eu
src=$1
name=$2
dir=$3
case $name in
"" | .* | *[!0-9A-Za-z._-]*)
  echo "archive_wal: refusing the file name '$name'" >&2
  exit 1
  ;;
esac
dest=$dir/$name
# sha256 of a file: openssl uses the CPU's SHA instructions (3x sha256sum's speed here)
if command -v openssl >/dev/null 2>&1; then
  digest() {
    out=$(openssl dgst -sha256 -r "$1") || return 1
    set -- $out
    echo "${1-}"
  }
else
  digest() {
    out=$(sha256sum "$1") || return 1
    set -- $out
    echo "${1-}"
  }
fi
if [ -e "$dest" ]; then
  new=$(digest "$src")
  if [ -f "$dest.sha256" ]; then
    read -r old _ <"$dest.sha256"
  else
    old=$(digest "$dest")
  fi
  [ "$new" = "$old" ] && exit 0
  echo "archive_wal: $name is already archived with other content (sha256 $old, offered $new): refusing to overwrite it" >&2
  exit 1
fi
tmp=$dir/.tmp-$name.$$
trap 'rm -f "$tmp" "$tmp.sha256" "$tmp.sum"' EXIT
# hash and copy at once (a finished segment does not change): both read it from
# the page cache, one core each, a fifth off each segment's time
digest "$src" >"$tmp.sum" &
hashing=$!
cp "$src" "$tmp"
sum=
if wait "$hashing"; then read -r sum <"$tmp.sum" || sum=; fi
case $sum in
[0-9a-f]*) [ ${#sum} -eq 64 ] || sum= ;;
*) sum= ;;
esac
if [ -z "$sum" ]; then
  echo "archive_wal: could not hash $name (openssl or sha256sum gave no digest)" >&2
  exit 1
fi
echo "$sum  $name" >"$tmp.sha256"
sync "$tmp" "$tmp.sha256" # fsync both before either gets its name
mv -f "$tmp.sha256" "$dest.sha256"
ln "$tmp" "$dest"
rm -f "$tmp" "$tmp.sum"
sync "$dir"
trap - EXIT
