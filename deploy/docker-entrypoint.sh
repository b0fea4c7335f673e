#!/bin/sh
# The image's ENTRYPOINT. Before hookgate starts it checks the two mistakes that otherwise end in a
# stack trace or a restart loop: a config file that was not mounted, and a state directory uid 10001
# cannot write. Then it execs, so hookgate itself gets SIGTERM from `docker stop` and can drain.
#
# Anything that is not a hookgate command runs as given, unchecked, so `docker run -it IMAGE sh`
# still works for looking around a broken layout.
#
# Overridable for running outside the image (the tests do):
#   HOOKGATE_CONFIG     config file when the arguments have no --config (default /etc/hookgate/hookgate.yaml)
#   HOOKGATE_STATE_DIR  the config's state_dir, which this script cannot read from YAML (default /var/lib/hookgate)
#   HOOKGATE_NODE       the node binary (default: node on PATH)
#   HOOKGATE_BIN        hookgate's entry file (default /app/bin/hookgate.js)
set -eu

# sysexits.h: a missing or unreadable config is a usage error, an unwritable state directory a
# "cannot create" error; both differ from hookgate's own exit codes (0-3).
EX_USAGE=64
EX_CANTCREAT=73

node_bin=${HOOKGATE_NODE:-node}
hookgate_bin=${HOOKGATE_BIN:-/app/bin/hookgate.js}
state_dir=${HOOKGATE_STATE_DIR:-/var/lib/hookgate}
# Exported so that hookgate, given no --config, reads the same file this script checked.
HOOKGATE_CONFIG=${HOOKGATE_CONFIG:-/etc/hookgate/hookgate.yaml}
export HOOKGATE_CONFIG

say() { printf 'hookgate entrypoint: %s\n' "$*" >&2; }

# The file hookgate will load: the last --config F / --config=F, as hookgate's own parser takes it.
config_from_args() {
  config=$HOOKGATE_CONFIG
  want_value=false
  for arg in "$@"; do
    if [ "$want_value" = true ]; then
      config=$arg
      want_value=false
      continue
    fi
    case $arg in
      --config) want_value=true ;;
      --config=*) config=${arg#--config=} ;;
      --) break ;;
    esac
  done
}

check_config() {
  if [ -d "$config" ]; then
    say "the config $config is a directory, not a file."
    say "Docker creates an empty directory when the host side of a bind mount is missing: create the file on the"
    say "host first (see /app/deploy/hookgate.example.yaml), then recreate the container."
    exit "$EX_USAGE"
  fi
  if [ ! -e "$config" ]; then
    say "no config file at $config."
    say "Mount yours read-only, e.g. docker run -v \"\$PWD/hookgate.yaml:$config:ro\" ...,"
    say "or point --config (or HOOKGATE_CONFIG) at where it is mounted. A commented example is in /app/deploy/hookgate.example.yaml."
    exit "$EX_USAGE"
  fi
  if [ ! -r "$config" ]; then
    say "the config $config exists but uid $(id -u) cannot read it."
    say "On the host: chmod 0644 the file, or chgrp 10001 and chmod 0640 if it holds secrets."
    exit "$EX_USAGE"
  fi
}

# A real write, not just `test -w`: a volume mounted read-only passes the permission bits but not this.
check_state_dir() {
  if [ ! -d "$state_dir" ]; then
    say "the state directory $state_dir does not exist."
    say "Mount a volume there (docker run -v hookgate-state:$state_dir ...) and set state_dir: $state_dir in the config."
    exit "$EX_CANTCREAT"
  fi
  if probe=$(mktemp "$state_dir/.entrypoint-write-check.XXXXXX" 2>/dev/null); then
    rm -f "$probe"
    return
  fi
  say "uid $(id -u) cannot write to the state directory $state_dir."
  say "Mount a named volume there (docker run -v hookgate-state:$state_dir ...); a host directory must be owned by"
  say "uid 10001 (chown -R 10001:10001 DIR) and must not be mounted read-only."
  exit "$EX_CANTCREAT"
}

# Node flags for the gateway: the young generation capped at 4 MiB and no Maglev, as src/cli/serve-node-flags.ts
# explains (they must be on node's command line, so every launcher passes them).
node_flags=

case ${1-} in
  serve | worker)
    config_from_args "$@"
    check_config
    check_state_dir
    if [ "$1" = serve ]; then node_flags="--max-semi-space-size=4 --no-maglev"; fi
    ;;
  check | doctor)
    config_from_args "$@"
    check_config
    ;;
  '' | send | sign | openapi | audit | help | -*)
    ;;
  *)
    exec "$@"
    ;;
esac

# shellcheck disable=SC2086 # empty or one word: no flag at all, or that flag
exec "$node_bin" $node_flags "$hookgate_bin" "$@"
