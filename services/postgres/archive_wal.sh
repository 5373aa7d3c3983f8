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
    set -- $(openssl dgst -sha256 -r "$1")
    echo "$1"
  }
else
  digest() {
    set -- $(sha256sum "$1")
    echo "$1"
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
trap 'rm -f "$tmp" "$tmp.sha256"' EXIT
cp "$src" "$tmp"
sum=$(digest "$tmp")
echo "$sum  $name" >"$tmp.sha256"
sync "$tmp" "$tmp.sha256" # fsync both before either gets its name
mv -f "$tmp.sha256" "$dest.sha256"
ln "$tmp" "$dest"
rm -f "$tmp"
sync "$dir"
trap - EXIT
