#!/usr/bin/env bash
# tquic as a quic-interop-runner endpoint: runs `tquic server` or `tquic client` (ALPN
# hq-interop, or h3 for the http3 test case) for the test case in TESTCASE. See interop/README.md for the environment it reads.
#
# Exit status: the client's (0 success, 1 failure), 127 for a test case tquic does not support,
# 1 for a bad environment (unknown ROLE, no REQUESTS, missing certificate files).
set -u

ROLE=${ROLE:-}
TESTCASE=${TESTCASE:-}

# The runner passes the endpoint name of a test (its testname): handshake (also for longrtt),
# transfer (also for multiplexing, transferloss, transfercorruption, blackhole, ipv6,
# amplificationlimit, ...), chacha20, multiconnect (for handshakeloss and handshakecorruption),
# http3, keyupdate, retry and connectionmigration. The test names themselves are accepted too,
# for local runs.
# - ipv6: as transfer; the server listens dual-stack on '::' (below) and the client connects to
#   whatever address the URL's host resolves to (the runner's server6, an IPv6 literal).
# - amplificationlimit: as transfer; the runner gives the server a long certificate chain in
#   cert.pem (sent whole) and drops the client's early datagrams, and the server keeps to 3×
#   what it received until the client's address is validated (RFC 9000 §8.1).
# - rebind-port, rebind-addr: as transfer; the runner's NAT rebinds the client and the server
#   follows it (RFC 9000 §9.3). goodput, crosstraffic: as transfer (the runner measures).
case "$TESTCASE" in
  handshake | transfer | chacha20 | multiconnect | multiplexing | longrtt | transferloss | \
    handshakeloss | handshakecorruption | transfercorruption | blackhole | http3 | keyupdate | retry | \
    resumption | zerortt | v2 | connectionmigration | ipv6 | amplificationlimit | rebind-port | \
    rebind-addr | goodput | crosstraffic) ;;
  *)
    echo "run_endpoint.sh: test case '${TESTCASE}' is not supported" >&2
    exit 127
    ;;
esac

case "$ROLE" in
  client | server) ;;
  *)
    echo "run_endpoint.sh: ROLE must be client or server, not '${ROLE}'" >&2
    exit 1
    ;;
esac

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WWW_DIR=${WWW_DIR:-/www}
DOWNLOADS_DIR=${DOWNLOADS_DIR:-/downloads}
CERTS_DIR=${CERTS_DIR:-/certs}
PORT=${PORT:-443}
if [ -z "${LISTEN_HOST:-}" ]; then
  # Dual-stack when the machine has IPv6, else IPv4 only.
  if [ -e /proc/net/if_inet6 ]; then LISTEN_HOST='::'; else LISTEN_HOST='0.0.0.0'; fi
fi
# Seconds the client waits for a handshake: longrtt and the loss tests need more than the default.
HANDSHAKE_TIMEOUT=${HANDSHAKE_TIMEOUT:-30}
VERBOSE=${VERBOSE:-1}

if [ -n "${TQUIC_BIN:-}" ]; then
  read -r -a TQUIC <<<"$TQUIC_BIN"
else
  TQUIC=(node "$REPO/dist/cli/bin.js")
fi

# Inside the runner's endpoint image: routes through the network simulator.
if [ "${SKIP_SETUP:-0}" != 1 ] && [ -x /setup.sh ]; then
  /setup.sh
fi

# The CLI reads QLOGDIR and SSLKEYLOGFILE itself; make sure their directories exist.
if [ -n "${QLOGDIR:-}" ]; then mkdir -p "$QLOGDIR"; fi
if [ -n "${SSLKEYLOGFILE:-}" ]; then mkdir -p "$(dirname "$SSLKEYLOGFILE")"; fi

# Every test speaks HTTP/0.9 but http3, which speaks HTTP/3.
ALPN=hq-interop
if [ "$TESTCASE" = http3 ]; then ALPN=h3; fi

COMMON=(--alpn "$ALPN")
if [ "$VERBOSE" = 1 ]; then COMMON+=(--verbose); fi
if [ "$TESTCASE" = chacha20 ]; then COMMON+=(--cipher-suites TLS_CHACHA20_POLY1305_SHA256); fi
# keyupdate: the client starts a 1-RTT key update during the download (RFC 9001 §6).
CLIENT_ONLY=()
if [ "$TESTCASE" = keyupdate ]; then CLIENT_ONLY+=(--key-update); fi

if [ "$ROLE" = server ]; then
  for f in cert.pem priv.key; do
    if [ ! -r "$CERTS_DIR/$f" ]; then
      echo "run_endpoint.sh: cannot read $CERTS_DIR/$f" >&2
      exit 1
    fi
  done
  read -r -a EXTRA <<<"${SERVER_PARAMS:-}"
  # retry: the server sends a Retry before every handshake (RFC 9000 §8.1.2); the client just
  # follows it, echoing the token.
  if [ "$TESTCASE" = retry ]; then EXTRA+=(--retry); fi
  # zerortt: tickets allow 0-RTT and the server accepts it (RFC 9001 §4.6).
  if [ "$TESTCASE" = zerortt ]; then EXTRA+=(--early-data); fi
  # v2: the client starts in v1 offering v2 (its default); the server prefers v2 and switches
  # (compatible version negotiation, RFC 9368 §2.3, RFC 9369).
  if [ "$TESTCASE" = v2 ]; then EXTRA+=(--versions v2,v1); fi
  # connectionmigration: the server also listens on a preferred address and offers it (RFC 9000
  # §9.6); the client moves there after the handshake. PREFERRED_ADDRESS (HOST:PORT) sets it,
  # else the machine's first IPv4 address on port 4433.
  if [ "$TESTCASE" = connectionmigration ]; then
    PREFERRED=${PREFERRED_ADDRESS:-}
    if [ -z "$PREFERRED" ]; then
      IP4=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -m1 -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' || true)
      if [ -z "$IP4" ]; then
        echo "run_endpoint.sh: connectionmigration needs PREFERRED_ADDRESS (no IPv4 address found)" >&2
        exit 1
      fi
      PREFERRED="$IP4:4433"
    fi
    EXTRA+=(--preferred-address "$PREFERRED")
  fi
  echo "run_endpoint.sh: tquic server for $TESTCASE on $LISTEN_HOST port $PORT, root $WWW_DIR" >&2
  exec "${TQUIC[@]}" server --cert "$CERTS_DIR/cert.pem" --key "$CERTS_DIR/priv.key" \
    --root "$WWW_DIR" --host "$LISTEN_HOST" --port "$PORT" \
    ${COMMON[@]+"${COMMON[@]}"} ${EXTRA[@]+"${EXTRA[@]}"}
fi

# client
read -r -a URLS <<<"${REQUESTS:-}"
if [ "${#URLS[@]}" -eq 0 ]; then
  echo "run_endpoint.sh: REQUESTS names no URL" >&2
  exit 1
fi
read -r -a EXTRA <<<"${CLIENT_PARAMS:-}"
mkdir -p "$DOWNLOADS_DIR"

# Inside the runner's endpoint image: wait until the network simulator is up.
if [ "${SKIP_SETUP:-0}" != 1 ] && [ -x /wait-for-it.sh ]; then
  /wait-for-it.sh sim:57832 -s -t 30
fi

CLIENT=("${TQUIC[@]}" client --insecure --output "$DOWNLOADS_DIR" ${CLIENT_ONLY[@]+"${CLIENT_ONLY[@]}"}
  --timeout "$HANDSHAKE_TIMEOUT" ${COMMON[@]+"${COMMON[@]}"} ${EXTRA[@]+"${EXTRA[@]}"})

case "$TESTCASE" in
  multiconnect | handshakeloss | handshakecorruption)
    # The runner counts handshakes: one connection per request, one after the other; the first
    # failure ends the run (its file would be missing anyway).
    for url in "${URLS[@]}"; do
      "${CLIENT[@]}" "$url" || exit $?
    done
    exit 0
    ;;
  resumption | zerortt)
    # Two connections: the first downloads the first file and keeps the session ticket, the
    # second resumes it (RFC 9001 §4.5) for the rest — with its requests in 0-RTT for zerortt.
    SESSION_FILE=$(mktemp -u "${TMPDIR:-/tmp}/tquic-session.XXXXXX")
    trap 'rm -f "$SESSION_FILE"' EXIT
    SECOND=(--session-file "$SESSION_FILE")
    if [ "$TESTCASE" = zerortt ]; then SECOND+=(--early-data); fi
    "${CLIENT[@]}" --session-file "$SESSION_FILE" "${URLS[0]}" || exit $?
    if [ "${#URLS[@]}" -gt 1 ]; then
      "${CLIENT[@]}" "${SECOND[@]}" "${URLS[@]:1}" || exit $?
    fi
    exit 0
    ;;
  *)
    # Every request over one connection.
    exec "${CLIENT[@]}" "${URLS[@]}"
    ;;
esac
