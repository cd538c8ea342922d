#!/bin/sh
# A hall's own certificate authority and a server certificate signed by it, for https on the LAN
# (docs/tablets.md). Usage: scripts/make-hall-ca.sh [DIR] [NAME-OR-IP ...]
#   DIR       where to write (default ./data/tls); an existing CA there is reused, never replaced
#   NAME/IP   what tablets type to reach the server (default: this machine's LAN IPv4 addresses,
#             its hostname, <hostname>.local, localhost, 127.0.0.1)
# Writes: ca.crt (install once on each tablet), ca.key (keep secret, offline), server.crt, server.key.
set -eu
dir=${1:-./data/tls}
[ $# -gt 0 ] && shift
mkdir -p "$dir"
umask 077

if [ $# -eq 0 ]; then
  host=$(hostname)
  ips=$( (hostname -I 2>/dev/null || true) | tr ' ' '\n' | grep -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' || true)
  set -- $ips "$host" "$host.local" localhost 127.0.0.1
fi
san=""
for n in "$@"; do
  if echo "$n" | grep -Eq '^[0-9.]+$'; then san="$san,IP:$n"; else san="$san,DNS:$n"; fi
done
san=${san#,}

if [ ! -f "$dir/ca.key" ]; then
  openssl req -x509 -newkey rsa:2048 -sha256 -days 3650 -nodes \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" -subj "/CN=Cung Hoc - CA cua hoi truong $(hostname)" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  echo "New certificate authority: $dir/ca.crt (install it once on every tablet)"
fi

# Browsers refuse server certificates valid for more than 398 days: renew with this script yearly.
openssl req -newkey rsa:2048 -sha256 -nodes -keyout "$dir/server.key" -out "$dir/server.csr" \
  -subj "/CN=$1" 2>/dev/null
printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' "$san" > "$dir/server.ext"
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
  -days 397 -sha256 -extfile "$dir/server.ext" -out "$dir/server.crt" 2>/dev/null
rm -f "$dir/server.csr" "$dir/server.ext"
chmod 644 "$dir/ca.crt" "$dir/server.crt"

echo "Server certificate for: $san"
echo "Start with:  TLS_CERT=$dir/server.crt TLS_KEY=$dir/server.key npm start"
