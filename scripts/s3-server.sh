#!/usr/bin/env bash
# An S3-API and KMS-API server for the tests that VERIFIES SigV4 signatures: moto's server (PyPI
# moto[server], installed by scripts/install-deps.sh into a venv under
# ${PARLEY_TOOLS_DIR:-${HOME:-/tmp}/.cache/parley}) on a free loopback port.
#
#   scripts/s3-server.sh start DIR   # prints `export PARLEY_TEST_S3_URL=...`,
#                                    # PARLEY_TEST_S3_TLS_URL, PARLEY_TEST_KMS_URL,
#                                    # PARLEY_TEST_KMS_TLS_URL, PARLEY_TEST_KMS_ADMIN_URL;
#                                    # pids in DIR/*.pid
#   scripts/s3-server.sh stop DIR    # stops them (by those pids)
#
# PARLEY_TEST_S3_TLS_URL (s3+https://...&ca=DIR/s3-tls-ca.pem) reaches the same moto through
# HAProxy terminating TLS on another free loopback port, with client keep-alive, under a
# server certificate for 127.0.0.1, localhost, s3.parley.test and *.s3.parley.test issued
# by a throwaway CA made here with openssl (never trusted by the system).
#
# moto checks signatures (and IAM policies) once its first INITIAL_NO_AUTH_ACTION_COUNT
# requests are spent: the setup uses exactly those to create an "admin" IAM user, its
# allow-all policy and its access key; with that key it creates the "parley" user (allowed
# s3:* and kms:Encrypt + kms:Decrypt, what a node needs), the test bucket and a KMS key.
# From then on a request signed with any other secret is refused (SignatureDoesNotMatch /
# InvalidSignatureException), which tests/unit/adapters/s3 and /kms prove.
# PARLEY_TEST_KMS_URL (kms+http://) and PARLEY_TEST_KMS_TLS_URL (through the same HAProxy)
# name that key as the parley user; PARLEY_TEST_KMS_ADMIN_URL as the admin (for tests that
# manage keys). moto 5.2.5 binds the encryption context into its ciphertexts, but does not
# refuse Encrypt/Decrypt under a disabled key or one pending deletion (models.py checks no
# key state); tests/unit/adapters/kms covers those answers with a scripted server.
set -euo pipefail

TOOLS=${PARLEY_TOOLS_DIR:-${HOME:-/tmp}/.cache/parley}
VENV="$TOOLS/moto-venv"

start() {
  local dir=$1 port tls_port
  if [ ! -x "$VENV/bin/moto_server" ]; then
    echo "s3-server.sh: $VENV has no moto_server; run scripts/install-deps.sh" >&2
    exit 1
  fi
  port=$(free_port)
  INITIAL_NO_AUTH_ACTION_COUNT=3 "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" \
    >"$dir/moto.log" 2>&1 &
  echo $! >"$dir/moto.pid"
  tls_port=$(free_port)
  start_tls_front "$dir" "$tls_port" "$port"
  "$VENV/bin/python" - "$port" "$tls_port" "$dir/s3-tls-ca.pem" <<'PY'
import socket, sys, time, urllib.parse
import boto3

port, tls_port, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
endpoint = f"http://127.0.0.1:{port}"
deadline = time.monotonic() + 60
for p in (port, tls_port):
    while True:  # the servers we just started: wait until they listen, bounded
        try:
            socket.create_connection(("127.0.0.1", p), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                sys.exit(f"nothing listens on port {p}: see moto.log, haproxy.log")
            time.sleep(0.1)
anon = dict(endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id="setup", aws_secret_access_key="setup")
iam = boto3.client("iam", **anon)
iam.create_user(UserName="admin")
iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=(
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'))
admin = iam.create_access_key(UserName="admin")["AccessKey"]
# From here on every request is signed and authorized.
def client(service, key):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=key["AccessKeyId"],
                        aws_secret_access_key=key["SecretAccessKey"])
iam = client("iam", admin)
iam.create_user(UserName="parley")
# What a Parley node needs: S3 for blobs, and only kms:Encrypt + kms:Decrypt on its key.
iam.put_user_policy(UserName="parley", PolicyName="parley", PolicyDocument=(
    '{"Version":"2012-10-17","Statement":['
    '{"Effect":"Allow","Action":"s3:*","Resource":"*"},'
    '{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}]}'))
key = iam.create_access_key(UserName="parley")["AccessKey"]
client("s3", key).create_bucket(Bucket="parley-test")
kms_key = client("kms", admin).create_key(Description="parley test master key")["KeyMetadata"]["KeyId"]
q = lambda s: urllib.parse.quote(s, safe="")
creds = f"{q(key['AccessKeyId'])}:{q(key['SecretAccessKey'])}"
admin_creds = f"{q(admin['AccessKeyId'])}:{q(admin['SecretAccessKey'])}"
print(f"export PARLEY_TEST_S3_URL='s3://{creds}@127.0.0.1:{port}/parley-test"
      f"?region=us-east-1&style=path'")
print(f"export PARLEY_TEST_S3_TLS_URL='s3+https://{creds}@127.0.0.1:{tls_port}/parley-test"
      f"?region=us-east-1&style=path&ca={q(ca)}'")
print(f"export PARLEY_TEST_KMS_URL='kms+http://{creds}@127.0.0.1:{port}/{kms_key}?region=us-east-1'")
print(f"export PARLEY_TEST_KMS_TLS_URL='kms+https://{creds}@127.0.0.1:{tls_port}/{kms_key}"
      f"?region=us-east-1&ca={q(ca)}'")
print(f"export PARLEY_TEST_KMS_ADMIN_URL='kms+http://{admin_creds}@127.0.0.1:{port}/{kms_key}"
      f"?region=us-east-1'")
PY
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# A throwaway CA and a server certificate signed by it (EC P-256, valid 2 days), then HAProxy
# on 127.0.0.1:TLS_PORT terminating TLS in front of moto on 127.0.0.1:PORT.
start_tls_front() {
  local dir=$1 tls_port=$2 port=$3
  (
    cd "$dir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
      -subj "/CN=Parley throwaway test CA" -keyout s3-tls-ca.key -out s3-tls-ca.pem
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -subj "/CN=s3.parley.test" -keyout s3-tls.key -out s3-tls.csr
    printf '%s\n' "basicConstraints=CA:FALSE" "extendedKeyUsage=serverAuth" \
      "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:s3.parley.test,DNS:*.s3.parley.test" \
      >s3-tls.ext
    openssl x509 -req -in s3-tls.csr -CA s3-tls-ca.pem -CAkey s3-tls-ca.key -CAcreateserial \
      -days 2 -extfile s3-tls.ext -out s3-tls.crt
    cat s3-tls.crt s3-tls.key >s3-tls.pem
    rm -f s3-tls-ca.key s3-tls.csr
  ) >"$dir/openssl.log" 2>&1
  cat >"$dir/haproxy.cfg" <<CFG
global
  maxconn 200
  nbthread 1
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 120s
  timeout http-keep-alive 10s
  option http-server-close
frontend s3_tls
  bind 127.0.0.1:$tls_port ssl crt $dir/s3-tls.pem
  default_backend moto
backend moto
  server moto 127.0.0.1:$port
CFG
  haproxy -f "$dir/haproxy.cfg" -db >"$dir/haproxy.log" 2>&1 &
  echo $! >"$dir/haproxy.pid"
}

stop() {
  local dir=$1
  if [ -f "$dir/haproxy.pid" ]; then kill "$(cat "$dir/haproxy.pid")" 2>/dev/null || true; fi
  if [ -f "$dir/moto.pid" ]; then kill "$(cat "$dir/moto.pid")" 2>/dev/null || true; fi
}

case "${1:-}" in
  start) start "${2:?usage: $0 start DIR}" ;;
  stop) stop "${2:?usage: $0 stop DIR}" ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
