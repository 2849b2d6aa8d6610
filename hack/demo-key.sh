#!/bin/sh
# demo-key.sh DIR: an unencrypted OpenPGP signing key for the demo, made
# once with slipway's own key generator (never use it for a real release).
set -eu
dir=$1
[ -s "$dir/release.asc" ] && exit 0
mkdir -p "$dir"
go run ./hack/genkey -name "slipway demo" -email demo@slipway.invalid -o "$dir/release.asc"
echo "generated demo signing key $dir/release.asc"
