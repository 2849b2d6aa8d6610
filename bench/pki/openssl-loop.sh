#!/usr/bin/env bash
# bench/pki/openssl-loop.sh: the peer of `slipway ignition generate`'s PKI
# step, as a shell script would do it: kubeadm's certificate set (what
# `kubeadm init phase certs all` + `kubeconfig all` write, for every
# control-plane node, and a kubelet.conf for every node) made with one
# openssl command after the other, the same key type, subjects, SANs, key
# usages and extended key usages as slipway (pki/table.go, pki/crypto.go).
#
#   openssl-loop.sh ALG NODES OUT ENDPOINT CLUSTER
#
# ALG is RSA-2048 or ECDSA-P256; NODES a file of "NAME ROLE ADDRESS" lines
# (ROLE control-plane or worker); OUT an empty directory, laid out as
# slipway's --pki-dir; ENDPOINT the control-plane endpoint HOST:PORT (HOST a
# DNS name); CLUSTER the cluster's name. Service IP 10.96.0.1, DNS domain
# cluster.local (the defaults). Per certificate: a key (genrsa / ecparam),
# a request (req -new) and a CA-signed certificate (x509 -req with an
# extension file); kubeconfigs embed theirs with base64 and a heredoc.
set -euo pipefail
alg=$1 nodes=$2 out=$3 endpoint=$4 cluster=$5
server=https://$endpoint
ephost=${endpoint%:*}
svcip=10.96.0.1
domain=cluster.local

genkey() { # genkey FILE: PKCS #1 (RSA) or SEC 1 (ECDSA) PEM, as kubeadm
	case $alg in
	RSA-2048) openssl genrsa -traditional -out "$1" 2048 2>/dev/null ;;
	ECDSA-P256) openssl ecparam -name prime256v1 -genkey -noout -out "$1" ;;
	*) echo "unknown key algorithm $alg" >&2; exit 1 ;;
	esac
	chmod 600 "$1"
}
# key usage: DigitalSignature, + KeyEncipherment for RSA, + CertSign for CAs
ku=digitalSignature
[ "$alg" = RSA-2048 ] && ku=$ku,keyEncipherment

ca() { # ca BASE CN
	genkey "$out/$1.key"
	openssl req -x509 -new -key "$out/$1.key" -subj "/CN=$2" -days 3650 -sha256 \
		-addext "keyUsage=critical,$ku,keyCertSign" -addext "basicConstraints=critical,CA:TRUE" \
		-addext "subjectAltName=DNS:$2" -out "$out/$1.crt"
}

# leaf BASE CA SUBJECT EKU [SAN]: BASE.key, BASE.crt signed by CA.
leaf() {
	local base=$1 ca=$2 subj=$3 eku=$4 san=${5:-} ext=$out/.ext
	genkey "$base.key"
	openssl req -new -key "$base.key" -subj "$subj" -out "$base.csr"
	{
		echo "keyUsage=critical,$ku"
		echo "extendedKeyUsage=$eku"
		echo "basicConstraints=critical,CA:FALSE"
		echo "authorityKeyIdentifier=keyid"
		[ -z "$san" ] || echo "subjectAltName=$san"
	} >"$ext"
	openssl x509 -req -in "$base.csr" -CA "$out/$ca.crt" -CAkey "$out/$ca.key" -days 365 -sha256 \
		-extfile "$ext" -out "$base.crt" 2>/dev/null
	rm -f "$base.csr"
}

# kubeconfig FILE CA SUBJECT USER SERVER: a client pair embedded into FILE.
kubeconfig() {
	local f=$1 ca=$2 subj=$3 user=$4 srv=$5
	leaf "$f.pair" "$ca" "$subj" clientAuth
	cat >"$f" <<KC
apiVersion: v1
kind: Config
clusters:
  - cluster:
      certificate-authority-data: $(base64 -w0 "$out/$ca.crt")
      server: $srv
    name: $cluster
contexts:
  - context:
      cluster: $cluster
      user: $user
    name: $user@$cluster
current-context: $user@$cluster
preferences: {}
users:
  - name: $user
    user:
      client-certificate-data: $(base64 -w0 "$f.pair.crt")
      client-key-data: $(base64 -w0 "$f.pair.key")
KC
	chmod 600 "$f"
	rm -f "$f.pair.crt" "$f.pair.key"
}

mkdir -p "$out/etcd"
ca ca kubernetes
ca front-proxy-ca front-proxy-ca
ca etcd/ca etcd-ca
genkey "$out/sa.key"
openssl pkey -in "$out/sa.key" -pubout -out "$out/sa.pub"

cps=() workers=()
declare -A addr
while read -r name role address; do
	[ -n "$name" ] || continue
	addr[$name]=$address
	if [ "$role" = control-plane ]; then cps+=("$name"); else workers+=("$name"); fi
done <"$nodes"

# kubeadm's order: the table, then the nodes.
for n in "${cps[@]}"; do
	mkdir -p "$out/nodes/$n/etcd"
	dns=$(printf '%s\n' "$n" kubernetes kubernetes.default kubernetes.default.svc "kubernetes.default.svc.$domain" "$ephost" | sort -u | sed 's/^/DNS:/' | paste -sd,)
	leaf "$out/nodes/$n/apiserver" ca /CN=kube-apiserver serverAuth "$dns,IP:$svcip,IP:${addr[$n]}"
done
for n in "${cps[@]}"; do
	leaf "$out/nodes/$n/apiserver-kubelet-client" ca "/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client" clientAuth
done
for n in "${cps[@]}"; do
	leaf "$out/nodes/$n/front-proxy-client" front-proxy-ca /CN=front-proxy-client clientAuth
done
for f in server peer; do
	for n in "${cps[@]}"; do
		dns=$(printf '%s\n' "$n" localhost | sort -u | sed 's/^/DNS:/' | paste -sd,)
		leaf "$out/nodes/$n/etcd/$f" etcd/ca "/CN=$n" serverAuth,clientAuth "$dns,IP:${addr[$n]},IP:127.0.0.1,IP:::1"
	done
done
for n in "${cps[@]}"; do
	leaf "$out/nodes/$n/etcd/healthcheck-client" etcd/ca /CN=kube-etcd-healthcheck-client clientAuth
done
for n in "${cps[@]}"; do
	leaf "$out/nodes/$n/apiserver-etcd-client" etcd/ca /CN=kube-apiserver-etcd-client clientAuth
done
kubeconfig "$out/admin.conf" ca "/O=kubeadm:cluster-admins/CN=kubernetes-admin" kubernetes-admin "$server"
kubeconfig "$out/super-admin.conf" ca "/O=system:masters/CN=kubernetes-super-admin" kubernetes-super-admin "$server"
for n in "${cps[@]}"; do
	kubeconfig "$out/nodes/$n/controller-manager.conf" ca /CN=system:kube-controller-manager system:kube-controller-manager "https://${addr[$n]}:${endpoint##*:}"
done
for n in "${cps[@]}"; do
	kubeconfig "$out/nodes/$n/scheduler.conf" ca /CN=system:kube-scheduler system:kube-scheduler "https://${addr[$n]}:${endpoint##*:}"
done
for n in "${cps[@]}" "${workers[@]}"; do
	mkdir -p "$out/nodes/$n"
	kubeconfig "$out/nodes/$n/kubelet.conf" ca "/O=system:nodes/CN=system:node:$n" "system:node:$n" "$server"
done
rm -f "$out/.ext"
