#!/usr/bin/env bash
# Make the Lambda python3.11 base image that `sam local invoke` needs available to the local engine,
# without ever letting the engine reach a registry.
#
#   - The engine already has public.ecr.aws/lambda/python:3.11 (or ...:3.11-x86_64), e.g. the real
#     image pulled by a developer with internet: reuse it, add the other tag if missing. Done.
#   - Otherwise build an offline stand-in with the real image's contract:
#       debootstrap --variant=minbase --include=python3 bookworm (bookworm's python3 is 3.11)
#       + awslambdaric (runtime interface client) and boto3 (the runtime ships it) under /var/runtime
#       + /var/runtime/bootstrap, /lambda-entrypoint.sh (ENTRYPOINT, handler as its one argument)
#       + the SAM CLI's runtime interface emulator at /usr/local/bin/aws-lambda-rie when it is installed
#     `docker import` it and tag it both public.ecr.aws/lambda/python:3.11 and :3.11-x86_64.
#
# Idempotent: a second run only inspects the engine (well under a second).
# Env: DOCKER (default docker), DEBIAN_MIRROR (default http://deb.debian.org/debian),
#      BUILD_DIR (default build/lambda-base), FORCE=1 rebuilds the stand-in even when an image exists.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

DOCKER=${DOCKER:-docker}
REPO=public.ecr.aws/lambda/python
TAG=3.11
ARCH_TAG=3.11-x86_64
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
BUILD_DIR=${BUILD_DIR:-$ROOT/build/lambda-base}
# The runtime interface client, pinned with what it pulls in; boto3/botocore follow the project's runtime pins.
RIC_PINS=(awslambdaric==4.2.2 simplejson==4.3.0 snapshot-restore-py==1.0.0)
STANDIN_LABEL=org.sagemaker-mlops-loop.lambda-base-standin

log() { printf 'base-image: %s\n' "$*" >&2; }

if ! "$DOCKER" info >/dev/null 2>&1; then
  log "no container engine reachable ('$DOCKER info' failed); start dockerd first"
  exit 2
fi

has_image() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

if [[ "${FORCE:-0}" != 1 ]]; then
  if has_image "$REPO:$ARCH_TAG" || has_image "$REPO:$TAG"; then
    has_image "$REPO:$TAG" || "$DOCKER" tag "$REPO:$ARCH_TAG" "$REPO:$TAG"
    has_image "$REPO:$ARCH_TAG" || "$DOCKER" tag "$REPO:$TAG" "$REPO:$ARCH_TAG"
    kind=$("$DOCKER" image inspect -f "{{ index .Config.Labels \"$STANDIN_LABEL\" }}" "$REPO:$ARCH_TAG" 2>/dev/null || true)
    [[ -n "$kind" && "$kind" != "<no value>" ]] && kind="offline stand-in $kind" || kind="engine's own image"
    log "reusing $REPO:$TAG and :$ARCH_TAG ($kind)"
    exit 0
  fi
fi

for tool in debootstrap tar; do
  command -v "$tool" >/dev/null 2>&1 || { log "'$tool' is missing (apt-get install -y debootstrap)"; exit 2; }
done
PIP=${PIP:-}
if [[ -z "$PIP" ]]; then
  for candidate in "$ROOT/.venv/bin/pip" "$(command -v pip3 || true)"; do
    [[ -n "$candidate" && -x "$candidate" ]] && { PIP=$candidate; break; }
  done
fi
[[ -n "$PIP" ]] || { log "no pip found (make setup)"; exit 2; }

pin() { # the exact pin of a package in requirements/runtime.txt
  local line
  line=$(grep -E "^$1==" "$ROOT/requirements/runtime.txt") || { log "no pin for $1 in requirements/runtime.txt"; exit 2; }
  printf '%s\n' "$line"
}

started=$(date +%s)
ROOTFS="$BUILD_DIR/rootfs"
rm -rf "$ROOTFS"
mkdir -p "$BUILD_DIR"

log "debootstrap $DEBIAN_SUITE (minbase + python3) from $DEBIAN_MIRROR"
debootstrap --variant=minbase --include=python3,ca-certificates "$DEBIAN_SUITE" "$ROOTFS" "$DEBIAN_MIRROR" \
  >"$BUILD_DIR/debootstrap.log" 2>&1 || { log "debootstrap failed; see $BUILD_DIR/debootstrap.log"; exit 1; }
py_version=$("$ROOTFS/usr/bin/python3" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)
if [[ -n "$py_version" && "$py_version" != 3.11 ]]; then
  log "the rootfs has python $py_version, not 3.11"
  exit 1
fi

log "awslambdaric + boto3 into /var/runtime (binary wheels for cp311 manylinux x86_64)"
"$PIP" install --quiet --no-compile --target "$ROOTFS/var/runtime" \
  --only-binary=:all: --platform manylinux2014_x86_64 --python-version 3.11 --implementation cp --abi cp311 \
  "${RIC_PINS[@]}" "$(pin boto3)" "$(pin botocore)" >"$BUILD_DIR/pip.log" 2>&1 \
  || { log "pip failed; see $BUILD_DIR/pip.log"; exit 1; }

mkdir -p "$ROOTFS/var/task" "$ROOTFS/opt" "$ROOTFS/usr/local/bin"

# The runtime: what the emulator (or Lambda) starts. Same search path order as Lambda's python3.11:
# function code, layers (/opt/python[/lib/python3.11/site-packages]), then the runtime's own packages.
cat >"$ROOTFS/var/runtime/bootstrap" <<'EOF'
#!/bin/sh
export PYTHONPATH="/var/task:/opt/python/lib/python3.11/site-packages:/opt/python:/var/runtime${PYTHONPATH:+:$PYTHONPATH}"
cd "${LAMBDA_TASK_ROOT:-/var/task}" || exit 1
exec /usr/bin/python3 -m awslambdaric "$_HANDLER"
EOF

# The image's ENTRYPOINT, as in the real image: the handler is the one argument; without a Runtime API
# (plain `docker run -p 9000:8080 IMAGE app.handler`) it runs under the emulator.
cat >"$ROOTFS/lambda-entrypoint.sh" <<'EOF'
#!/bin/sh
if [ $# -ne 1 ]; then
  echo "entrypoint requires the handler name to be the first argument" 1>&2
  exit 142
fi
export _HANDLER="$1"
if [ -z "${AWS_LAMBDA_RUNTIME_API}" ] && [ -x /usr/local/bin/aws-lambda-rie ]; then
  exec /usr/local/bin/aws-lambda-rie /var/runtime/bootstrap
fi
exec /var/runtime/bootstrap
EOF
chmod 0755 "$ROOTFS/var/runtime/bootstrap" "$ROOTFS/lambda-entrypoint.sh"

rie=$(ls "$ROOT"/.venv-sam/lib/python3.*/site-packages/samcli/local/rapid/aws-lambda-rie-x86_64 2>/dev/null | head -n1 || true)
if [[ -n "$rie" ]]; then
  install -m 0755 "$rie" "$ROOTFS/usr/local/bin/aws-lambda-rie"
else
  log "SAM CLI's emulator not found: the image works under sam local invoke, not with a bare docker run"
fi

# Slim the rootfs: docs, man pages, apt lists and caches are not needed at run time.
rm -rf "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* \
  "$ROOTFS"/var/cache/apt/* "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/log/*.log

built_on=$(date -u +%Y-%m-%dT%H:%M:%SZ)
log "docker import as $REPO:$TAG"
tar --numeric-owner -C "$ROOTFS" -c . | "$DOCKER" import \
  --change 'WORKDIR /var/task' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV TZ=:/etc/localtime' \
  --change 'ENV PATH=/var/lang/bin:/usr/local/bin:/usr/bin:/bin:/opt/bin' \
  --change 'ENV LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib' \
  --change 'ENV LAMBDA_TASK_ROOT=/var/task' \
  --change 'ENV LAMBDA_RUNTIME_DIR=/var/runtime' \
  --change "LABEL $STANDIN_LABEL=debian-$DEBIAN_SUITE-$built_on" \
  --change 'ENTRYPOINT ["/lambda-entrypoint.sh"]' \
  - "$REPO:$TAG" >/dev/null
"$DOCKER" tag "$REPO:$TAG" "$REPO:$ARCH_TAG"
rm -rf "$ROOTFS"
log "built $REPO:$TAG and :$ARCH_TAG (offline stand-in) in $(($(date +%s) - started)) s"
