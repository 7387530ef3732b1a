#!/bin/sh
# npm-ci.sh SOURCE_DIR DEST_DIR STAMP: installs the packages that
# SOURCE_DIR/package-lock.json pins into DEST_DIR/node_modules (the build
# tree, never the sources), then touches STAMP. Install scripts are not
# run: esbuild's binary comes from its platform package.
set -eu
src=$1 dest=$2
mkdir -p "$dest"
stamp=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")
cp "$src/package.json" "$src/package-lock.json" "$dest/"
cd "$dest"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
touch "$stamp"
