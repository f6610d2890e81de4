#!/usr/bin/env bash
# An S3-API server for the tests that VERIFIES SigV4 signatures: moto's server (PyPI
# moto[server], installed by scripts/install-deps.sh into a venv under
# ${PARLEY_TOOLS_DIR:-${HOME:-/tmp}/.cache/parley}) on a free loopback port.
#
#   scripts/s3-server.sh start DIR   # prints `export PARLEY_TEST_S3_URL=...`; pid in DIR/moto.pid
#   scripts/s3-server.sh stop DIR    # stops it (by that pid)
#
# moto checks signatures once its first INITIAL_NO_AUTH_ACTION_COUNT requests are spent: the
# setup uses exactly those to create an IAM user, its S3 policy and its access key, then
# creates the test bucket with that key. From then on a request signed with any other secret
# is refused (SignatureDoesNotMatch), which tests/unit/adapters/s3 proves.
set -euo pipefail

TOOLS=${PARLEY_TOOLS_DIR:-${HOME:-/tmp}/.cache/parley}
VENV="$TOOLS/moto-venv"

start() {
  local dir=$1 port
  if [ ! -x "$VENV/bin/moto_server" ]; then
    echo "s3-server.sh: $VENV has no moto_server; run scripts/install-deps.sh" >&2
    exit 1
  fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  INITIAL_NO_AUTH_ACTION_COUNT=3 "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" \
    >"$dir/moto.log" 2>&1 &
  echo $! >"$dir/moto.pid"
  "$VENV/bin/python" - "$port" <<'PY'
import socket, sys, time, urllib.parse
import boto3

port = int(sys.argv[1])
endpoint = f"http://127.0.0.1:{port}"
deadline = time.monotonic() + 60
while True:  # the server we just started: wait until it listens, bounded
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("moto did not start listening")
        time.sleep(0.1)
anon = dict(endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id="setup", aws_secret_access_key="setup")
iam = boto3.client("iam", **anon)
iam.create_user(UserName="parley")
iam.put_user_policy(UserName="parley", PolicyName="s3", PolicyDocument=(
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'))
key = iam.create_access_key(UserName="parley")["AccessKey"]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id=key["AccessKeyId"],
                  aws_secret_access_key=key["SecretAccessKey"])
s3.create_bucket(Bucket="parley-test")
q = lambda s: urllib.parse.quote(s, safe="")
print(f"export PARLEY_TEST_S3_URL='s3://{q(key['AccessKeyId'])}:{q(key['SecretAccessKey'])}"
      f"@127.0.0.1:{port}/parley-test?region=us-east-1&style=path'")
PY
}

stop() {
  local dir=$1
  if [ -f "$dir/moto.pid" ]; then kill "$(cat "$dir/moto.pid")" 2>/dev/null || true; fi
}

case "${1:-}" in
  start) start "${2:?usage: $0 start DIR}" ;;
  stop) stop "${2:?usage: $0 stop DIR}" ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
