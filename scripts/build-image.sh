#!/usr/bin/env bash
# Builds the application's container image as a tar (target/imagestream-image.tar, Docker/OCI format: `docker load -i`
# or any registry push tool takes it) without a Docker daemon and without any registry but Debian's and Maven
# Central:
#   1. a JRE base image from Debian packages: debootstrap (bookworm, minbase + openjdk-17-jre-headless +
#      libturbojpeg0, the JPEG decoder imagestream.decode.jpeg.native uses) into a folder,
#      packed as a one-layer docker-archive (target/image-base/base.tar);
#   2. the application layers on top with Jib (`mvn -Pimage package jib:buildTar`, base `tar://...`);
#   3. a check that the image really runs: its layers unpacked into a folder and `imagestream --help` and
#      `imagestream predict` run inside it with chroot as the image's user (not root).
# Needs root (debootstrap, chroot), Java 17, Maven, python3. Takes a few minutes (the base download dominates; it is
# reused while target/image-base/base.tar exists).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
log() { printf '[build-image %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

BASE_DIR="$ROOT/target/image-base"
BASE_TAR="$BASE_DIR/base.tar"
IMAGE_TAR="$ROOT/target/imagestream-image.tar"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if [ ! -s "$BASE_TAR" ]; then
  command -v debootstrap >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  ROOTFS="$BASE_DIR/rootfs"
  if [ ! -x "$ROOTFS/usr/lib/jvm/java-17-openjdk-amd64/bin/java" ]; then  # a finished debootstrap is reused
    rm -rf "$BASE_DIR"; mkdir -p "$BASE_DIR"
    log "debootstrap bookworm (minbase + openjdk-17-jre-headless + libturbojpeg0) from $MIRROR"
    debootstrap --variant=minbase --include=openjdk-17-jre-headless,libturbojpeg0 bookworm "$ROOTFS" "$MIRROR" \
      > "$BASE_DIR/debootstrap.log" 2>&1 || { tail -20 "$BASE_DIR/debootstrap.log"; exit 1; }
  fi
  rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/*
  log "packing the base image"
  python3 - "$ROOTFS" "$BASE_TAR" <<'PY'
import hashlib, io, json, os, sys, tarfile
rootfs, out = sys.argv[1], sys.argv[2]
layer = out + ".layer"
with tarfile.open(layer, "w", format=tarfile.PAX_FORMAT) as t:
    for name in sorted(os.listdir(rootfs)):
        if name in ("proc", "sys", "dev"):
            t.add(os.path.join(rootfs, name), arcname=name, recursive=False)  # mount points only
        else:
            t.add(os.path.join(rootfs, name), arcname=name)
digest = hashlib.sha256(open(layer, "rb").read()).hexdigest()
config = {"architecture": "amd64", "os": "linux",
          "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8",
                             "JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64"]},
          "rootfs": {"type": "layers", "diff_ids": ["sha256:" + digest]}}
config_bytes = json.dumps(config).encode()
config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
manifest = [{"Config": config_name, "RepoTags": ["imagestream-jre-base:bookworm"], "Layers": [digest + "/layer.tar"]}]
with tarfile.open(out, "w") as t:
    for name, data in ((config_name, config_bytes), ("manifest.json", json.dumps(manifest).encode())):
        info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
    t.add(layer, arcname=digest + "/layer.tar")
os.remove(layer)
PY
  rm -rf "$ROOTFS"
fi
log "base image: $(du -h "$BASE_TAR" | cut -f1)"

log "building the application image with Jib"
mvn -B -ntp -q -DskipTests -Pimage package jib:buildTar -Djib.from.image="tar://$BASE_TAR" > "$BASE_DIR/jib.log" 2>&1 \
  || { tail -30 "$BASE_DIR/jib.log"; exit 1; }
# Jib writes no health check; add the Dockerfile's one to the image config (Docker format), so `docker run` and
# compose see the same /health probe either way.
python3 - "$IMAGE_TAR" <<'PY'
import hashlib, io, json, os, sys, tarfile
path = sys.argv[1]
probe = ("exec 3<>/dev/tcp/127.0.0.1/${IMAGESTREAM_METRICS_PORT:-9400} && "
         "printf 'GET /health HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '")
with tarfile.open(path) as t:
    members = {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}
manifest = json.loads(members["manifest.json"])
config = json.loads(members.pop(manifest[0]["Config"]))
config["config"]["Healthcheck"] = {"Test": ["CMD", "bash", "-c", probe], "Interval": 15_000_000_000,
                                   "Timeout": 5_000_000_000, "StartPeriod": 120_000_000_000, "Retries": 3}
data = json.dumps(config).encode()
name = hashlib.sha256(data).hexdigest() + ".json"
manifest[0]["Config"] = name
members[name] = data
members["manifest.json"] = json.dumps(manifest).encode()
with tarfile.open(path + ".new", "w") as t:
    for member, content in members.items():
        info = tarfile.TarInfo(member); info.size = len(content); t.addfile(info, io.BytesIO(content))
os.replace(path + ".new", path)
PY
log "image: $IMAGE_TAR ($(du -h "$IMAGE_TAR" | cut -f1))"

log "checking the image: unpack its layers and run the application in it, as its user"
CHECK="$(mktemp -d)"
trap 'rm -rf "$CHECK"' EXIT
python3 - "$IMAGE_TAR" "$CHECK" <<'PY'
import json, sys, tarfile
image, out = sys.argv[1], sys.argv[2]
with tarfile.open(image) as t:
    manifest = json.load(t.extractfile("manifest.json"))[0]
    config = json.load(t.extractfile(manifest["Config"]))["config"]
    for layer in manifest["Layers"]:
        with tarfile.open(fileobj=t.extractfile(layer), mode="r:*") as lt:
            lt.extractall(out + "/rootfs", filter="fully_trusted")
user = config.get("User", "")
assert user and not user.startswith("0") and user != "root", "the image runs as root: " + user
assert "/health" in " ".join(config.get("Healthcheck", {}).get("Test", [])), "no health check in the image"
entry = config.get("Entrypoint") or []
assert entry and entry[0] == "java", "unexpected entrypoint: %s" % entry
open(out + "/entrypoint", "w").write("\n".join(entry))
open(out + "/user", "w").write(user)
print("user", user, "| entrypoint", " ".join(entry)[:120], "...")
PY
mapfile -t ENTRY < "$CHECK/entrypoint"
USERSPEC="$(cat "$CHECK/user")"
mkdir -p "$CHECK/rootfs/tmp" && chmod 1777 "$CHECK/rootfs/tmp"
# Without /proc in a bare chroot the loader cannot expand java's $ORIGIN run path; a container runtime mounts /proc,
# here the JDK's library folder is named instead.
chroot --userspec="$USERSPEC" "$CHECK/rootfs" /usr/bin/env HOME=/tmp LD_LIBRARY_PATH=/usr/lib/jvm/java-17-openjdk-amd64/lib "${ENTRY[@]}" --help > "$CHECK/help.txt"
grep -q "classify" "$CHECK/help.txt" || { cat "$CHECK/help.txt"; echo "the image did not print its commands"; exit 1; }
cp "$ROOT/src/main/resources/samples/fashion-mnist/test-00000.png" "$CHECK/rootfs/tmp/sample.png"
chroot --userspec="$USERSPEC" "$CHECK/rootfs" /usr/bin/env HOME=/tmp LD_LIBRARY_PATH=/usr/lib/jvm/java-17-openjdk-amd64/lib "${ENTRY[@]}" predict \
  --model /app/resources/models/default.zip /tmp/sample.png 2>/dev/null > "$CHECK/predict.txt"
grep -q '"label":"Ankle boot"' "$CHECK/predict.txt" || { cat "$CHECK/predict.txt"; echo "the image did not classify"; exit 1; }
log "ok: the image runs as user $USERSPEC, has a /health check, and classifies (test-00000.png -> Ankle boot)"
