#!/usr/bin/env bash
# The app and the CLI link no code made to talk over a network: no HTTP, TLS, DNS or socket
# crates in their dependency tree, no Tauri plugin, and tokio without its "net" feature. A
# crate that adds one fails `make check` here, before anyone has to notice it in a trace.
set -euo pipefail
cd "$(dirname "$0")/.."

tree=$(cargo tree --locked --workspace -e normal --prefix none --format '{p}' | awk '{print $1}' | sort -u)
banned='^(reqwest|hyper|hyper-util|h2|h3|quinn|ureq|curl|curl-sys|isahc|attohttpc|surf|native-tls|openssl|openssl-sys|rustls|webpki-roots|tungstenite|tokio-tungstenite|socket2|mio|hickory-resolver|trust-dns-resolver|axum|warp|actix-web|tiny_http|tauri-plugin-.*)$'
found=$(grep -E "$banned" <<<"$tree" || true)
features=$(cargo tree --locked --workspace -e normal,features -i tokio --prefix none 2>/dev/null \
  | grep -o 'tokio feature "[a-z-]*"' | sort -u)
net=$(grep -E '"(net|full)"' <<<"$features" || true)

if [ -n "$found" ] || [ -n "$net" ]; then
  echo "no-network-deps: network-capable code in the dependency tree:" >&2
  [ -z "$found" ] || sed 's/^/  crate /' <<<"$found" >&2
  [ -z "$net" ] || sed 's/^/  /' <<<"$net" >&2
  exit 1
fi
echo "no-network-deps: $(wc -l <<<"$tree") crates, none network-capable; tokio without \"net\""
