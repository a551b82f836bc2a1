#!/usr/bin/env bash
# Real Apache RocketMQ (name server + broker(s)) on loopback, for the effect-rocketmq integration tests.
#
#   bash scripts/rocketmq/rocketmq.sh up [--brokers N] [--auto-create true|false] [--timeout SEC] [--set key=value]...
#                                        [--proxy]   (5.x: also a proxy in cluster mode, remoting port ROCKETMQ_PROXY_PORT)
#                                        [--acl]     (brokers require signed requests: the accounts of acl_accounts below)
#                                        [--tls]     (TLS only: a CA and certificates made at start in .rocketmq/run/tls/)
#   bash scripts/rocketmq/rocketmq.sh down
#   bash scripts/rocketmq/rocketmq.sh status
#   bash scripts/rocketmq/rocketmq.sh mqadmin <subcommand> [args...]   (runs mqadmin against the local name server)
#   bash scripts/rocketmq/rocketmq.sh fetch                            (only download the jars)
#   bash scripts/rocketmq/rocketmq.sh restart <namesrv|broker-a|...>   (start one recorded process again after it
#                                                                       was killed: same config, same store; a
#                                                                       broker's ends when the name server lists it)
#
# The jars come from Maven Central (scripts/rocketmq/pom.xml, `mvn dependency:copy-dependencies`) and are cached in
# .rocketmq/lib/<version>/. Everything runs on 127.0.0.1. See scripts/rocketmq/README.md for the environment variables.
set -euo pipefail
shopt -s extglob

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
STATE_DIR="$REPO_ROOT/.rocketmq"
RUN_DIR="$STATE_DIR/run"
LOG_DIR="$RUN_DIR/logs"
PIDS_FILE="$RUN_DIR/pids"
LOCK_FILE="$STATE_DIR/lock"

VERSION="${ROCKETMQ_VERSION:-5.3.3}"
NS_PORT="${ROCKETMQ_NAMESRV_PORT:-9876}"
BROKER_PORT="${ROCKETMQ_BROKER_PORT:-10911}"
PROXY_PORT="${ROCKETMQ_PROXY_PORT:-8080}" # remoting; the proxy's gRPC port is the next one
HOST=127.0.0.1
NS_ADDR="$HOST:$NS_PORT"
CLUSTER=DefaultCluster
BROKER_PORT_STEP=10 # broker i listens on BROKER_PORT + 10*i (VIP port = listen-2, HA port = listen+1)
START_TIMEOUT="${ROCKETMQ_START_TIMEOUT:-120}"
STOP_TIMEOUT="${ROCKETMQ_STOP_TIMEOUT:-30}"
TOPICS_FILE="${ROCKETMQ_TOPICS_FILE:-$SCRIPT_DIR/topics.txt}"
LIB_DIR="$STATE_DIR/lib/$VERSION"
TOOLS_DIR="$STATE_DIR/tools/$VERSION"
# Marker put on every JVM we start, so that `down` never signals a process that is not ours (pid reuse).
MARKER="-Deffect.rocketmq.run=$RUN_DIR"

# ---------------------------------------------------------------------------------------------------------------------
# helpers

say() { printf 'rocketmq: %s\n' "$*"; }
err() { printf 'rocketmq: error: %s\n' "$*" >&2; }
die() {
  err "$*"
  exit 1
}

now_ms() {
  if [ -n "${EPOCHREALTIME:-}" ]; then
    local t="${EPOCHREALTIME//[!0-9]/}"
    echo $((t / 1000))
  else
    date +%s%3N
  fi
}
since() { # $1 = start in ms -> "1.234s"
  local d=$(($(now_ms) - $1))
  printf '%d.%03ds' $((d / 1000)) $((d % 1000))
}

is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }

port_open() { # is something accepting connections on 127.0.0.1:$1 ?
  if command -v timeout >/dev/null 2>&1; then
    timeout 3 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null
  else
    (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
  fi
}

# pid is alive AND is a JVM started by this script for this checkout
is_ours() {
  local pid="$1" cmd=""
  is_uint "$pid" || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [ -r "/proc/$pid/cmdline" ]; then
    cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  else
    cmd="$(ps -ww -o args= -p "$pid" 2>/dev/null || true)"
  fi
  [[ "$cmd" == *"$MARKER "* ]]
}

LOCK_HELD=0
take_lock() {
  [ "$LOCK_HELD" -eq 1 ] && return 0
  mkdir -p "$STATE_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$LOCK_FILE"
    flock -w 600 9 || die "another rocketmq.sh is still running (lock $LOCK_FILE)"
  fi
  LOCK_HELD=1
}

# ---------------------------------------------------------------------------------------------------------------------
# prerequisites

JAVA=""
find_java() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    JAVA="$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    JAVA="$(command -v java)"
  else
    die "Java 17+ is required but 'java' was not found (install a JDK 17+ or set JAVA_HOME)"
  fi
  local v major
  v="$("$JAVA" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)"
  major="${v%%[.+-]*}"
  [ "$major" = "1" ] && major="$(echo "$v" | cut -d. -f2)"
  if ! is_uint "${major:-x}" || [ "$major" -lt 17 ]; then
    die "Java 17+ is required but $JAVA is version '${v:-unknown}' (set JAVA_HOME to a JDK 17+)"
  fi
}

# Download the RocketMQ jars (and their runtime dependencies) once per version into .rocketmq/lib/<version>/.
# The modules every version needs; 5.x adds the proxy (4.x has none).
required_modules() {
  echo rocketmq-namesrv rocketmq-broker rocketmq-tools rocketmq-client
  case "$VERSION" in 4.*) ;; *) echo rocketmq-proxy ;; esac
}

# Which org.apache.rocketmq artifacts of $VERSION Maven could not resolve, from its log (one per line).
missing_artifacts() {
  grep -oE "org\.apache\.rocketmq:[a-z0-9-]+:(jar|pom):$VERSION" "$1" 2>/dev/null | sort -u || true
}

ensure_libs() {
  local stamp proxy_flag=""
  case "$VERSION" in 4.*) ;; *) proxy_flag="-Drocketmq.proxy=true" ;; esac
  stamp="version=$VERSION pom=$(cksum <"$SCRIPT_DIR/pom.xml" | cut -d' ' -f1) ${proxy_flag:-noproxy}"
  if [ -f "$LIB_DIR/.complete" ] && [ "$(cat "$LIB_DIR/.complete")" = "$stamp" ]; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 ||
    die "Maven ('mvn') is required to download RocketMQ $VERSION into $LIB_DIR but was not found on PATH"
  take_lock
  # another rocketmq.sh may have finished the download while this one waited for the lock
  if [ -f "$LIB_DIR/.complete" ] && [ "$(cat "$LIB_DIR/.complete")" = "$stamp" ]; then
    return 0
  fi
  mkdir -p "$STATE_DIR/lib"
  local tmp="$STATE_DIR/lib/.download-$VERSION" mlog="$STATE_DIR/lib/maven-$VERSION.log" t0
  rm -rf "$tmp" # (left over if an earlier download was interrupted)
  t0=$(now_ms)
  say "downloading RocketMQ $VERSION jars from Maven Central (first run only, ~85 MB) ..."
  # shellcheck disable=SC2086
  if ! mvn -B -q -Dstyle.color=never -f "$SCRIPT_DIR/pom.xml" "-Drocketmq.version=$VERSION" $proxy_flag \
    ${ROCKETMQ_MAVEN_ARGS:-} dependency:copy-dependencies -DincludeScope=runtime "-DoutputDirectory=$tmp" \
    </dev/null >"$mlog" 2>&1; then
    tail -n 30 "$mlog" >&2 || true
    rm -rf "$tmp"
    # Not every release has every module on Central: e.g. rocketmq-namesrv/-broker are missing for 4.9.8, and
    # rocketmq-namesrv for 5.3.0-5.3.2. Known to work: 4.9.7, 5.3.3 (default) and 5.5.0.
    local missing
    missing="$(missing_artifacts "$mlog" | tr '\n' ' ')"
    if [ -n "$missing" ]; then
      die "RocketMQ $VERSION cannot be fetched: Maven could not resolve ${missing% } (full log: $mlog; 4.9.7, 5.3.3 and 5.5.0 are known to work)"
    fi
    die "Maven could not fetch org.apache.rocketmq $VERSION (full log: $mlog; 4.9.7, 5.3.3 and 5.5.0 are known to work)"
  fi
  local a
  for a in $(required_modules); do
    [ -f "$tmp/$a-$VERSION.jar" ] || {
      rm -rf "$tmp"
      die "Maven finished but $a-$VERSION.jar is missing (log: $mlog)"
    }
  done
  rm -rf "$LIB_DIR"
  mv "$tmp" "$LIB_DIR"
  echo "$stamp" >"$LIB_DIR/.complete"
  say "downloaded $(find "$LIB_DIR" -name '*.jar' | wc -l | tr -d ' ') jars ($(du -sh "$LIB_DIR" | cut -f1)) in $(since "$t0")"
}

# Compile ClusterSetup.java (broker registration + topics in one JVM). SETUP_CP stays empty without a javac.
SETUP_CP=""
ensure_setup_tool() {
  local src="$SCRIPT_DIR/ClusterSetup.java" javac stamp
  [ -z "${ROCKETMQ_NO_JAVAC:-}" ] || return 0 # testing hook for the fallback path
  javac="$(dirname "$(readlink -f "$JAVA")")/javac"
  [ -x "$javac" ] || javac="$(command -v javac || true)"
  stamp="$(cksum <"$src" | cut -d' ' -f1)"
  if [ -f "$TOOLS_DIR/ClusterSetup.class" ] && [ "$(cat "$TOOLS_DIR/.stamp" 2>/dev/null)" = "$stamp" ]; then
    SETUP_CP="$TOOLS_DIR"
    return 0
  fi
  if [ -z "$javac" ] || [ ! -x "$javac" ]; then
    return 0
  fi
  rm -rf "$TOOLS_DIR" && mkdir -p "$TOOLS_DIR"
  if "$javac" -nowarn -cp "$LIB_DIR/*" -d "$TOOLS_DIR" "$src" >"$TOOLS_DIR/javac.log" 2>&1; then
    echo "$stamp" >"$TOOLS_DIR/.stamp"
    SETUP_CP="$TOOLS_DIR"
  else
    say "note: could not compile ClusterSetup.java (see $TOOLS_DIR/javac.log); using one mqadmin JVM per step"
  fi
}

# ---------------------------------------------------------------------------------------------------------------------
# JVM command lines

common_jvm_opts() {
  JVM_OPTS=(
    -server -XX:+UseG1GC -XX:-OmitStackTraceInFastThrow -XX:+ExitOnOutOfMemoryError
    -Djava.net.preferIPv4Stack=true -Dfile.encoding=UTF-8
    # harmless on the default code paths; needed by some store options on Java 17
    --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
    --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED
    --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED
    "-Drocketmq.home.dir=$RUN_DIR" "-Drocketmq.namesrv.addr=$NS_ADDR" "$MARKER"
  )
  # shellcheck disable=SC2207 # paths without spaces (checked in make_tls)
  JVM_OPTS+=($(tls_jvm_opts))
}

# ---------------------------------------------------------------------------------------------------------------------
# TLS (--tls): every server in enforcing mode (plain connections are closed), client certificates required, and the
# servers' own clients (broker -> name server, the setup's admin client) speak TLS with a client certificate too.

TLS_DIR="$RUN_DIR/tls"
tls_on() { [ -f "$RUN_DIR/conf/tls.properties" ]; }

tls_jvm_opts() {
  tls_on || return 0
  echo "-Dtls.server.mode=enforcing -Dtls.enable=true -Dtls.config.file=$RUN_DIR/conf/tls.properties"
}

# A CA and, signed by it, a server certificate for 127.0.0.1/localhost and a client certificate (EC P-256, PKCS#8
# keys as Netty reads them), made fresh at every start; nothing of it is kept in the repository.
make_tls() {
  command -v openssl >/dev/null 2>&1 || die "--tls needs the openssl command"
  [[ "$TLS_DIR" != *[[:space:]]* ]] || die "--tls needs a checkout path without spaces (got $TLS_DIR)"
  mkdir -p "$TLS_DIR"
  local key=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes) who
  (
    cd "$TLS_DIR"
    umask 077
    openssl req -x509 "${key[@]}" -keyout ca.key -out ca.pem -days 7 -subj "/CN=effect-rocketmq local CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    printf 'subjectAltName=IP:%s,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' "$HOST" >server.ext
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    for who in server client; do
      openssl req "${key[@]}" -keyout "$who.key" -out "$who.csr" -subj "/CN=$who"
      openssl x509 -req -in "$who.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$who.pem" -days 7 \
        -extfile "$who.ext"
    done
    rm -f ./*.csr ./*.ext ca.srl ca.key
  ) >"$LOG_DIR/tls.out" 2>&1 || {
    tail -n 20 "$LOG_DIR/tls.out" >&2
    die "could not make the TLS certificates (log: $LOG_DIR/tls.out)"
  }
  # Read by every JVM (TlsHelper): the server side by the servers, the client side by the brokers' and the admin
  # client's connections to the name server and brokers.
  cat >"$RUN_DIR/conf/tls.properties" <<EOF
tls.test.mode.enable=false
tls.server.need.client.auth=require
tls.server.keyPath=$TLS_DIR/server.key
tls.server.certPath=$TLS_DIR/server.pem
tls.server.authClient=true
tls.server.trustCertPath=$TLS_DIR/ca.pem
tls.client.keyPath=$TLS_DIR/client.key
tls.client.certPath=$TLS_DIR/client.pem
tls.client.authServer=true
tls.client.trustCertPath=$TLS_DIR/ca.pem
EOF
}

mqadmin_jvm() { # prints nothing; fills MQADMIN_CMD
  MQADMIN_CMD=(
    "$JAVA" -Xms32m -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.net.preferIPv4Stack=true
    "-Duser.home=$RUN_DIR/tools" "-Drocketmq.home.dir=$RUN_DIR" "-Drocketmq.namesrv.addr=$NS_ADDR"
    -Drmq.logback.configurationFile=rmq.tools.logback.xml "-Deffect.rocketmq.role=mqadmin"
  )
  # shellcheck disable=SC2207 # paths without spaces (checked in make_tls)
  MQADMIN_CMD+=($(tls_jvm_opts))
  mkdir -p "$RUN_DIR/tools"
}

# 4.x servers configure logback from $ROCKETMQ_HOME/conf/logback_*.xml and exit if the file is missing.
write_v4_logback() {
  local role
  mkdir -p "$RUN_DIR/conf"
  for role in namesrv broker tools; do
    cat >"$RUN_DIR/conf/logback_$role.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>\${user.home}/logs/rocketmqlogs/$role.log</file>
    <encoder><pattern>%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %t - %m%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/></root>
</configuration>
EOF
  done
}

# Start a JVM detached (own session, no stdin), stdout+stderr into $2. Sets LAUNCHED_PID.
LAUNCHED_PID=""
launch() {
  local name="$1" out="$2"
  shift 2
  local pidf="$RUN_DIR/.launch-$name.pid" i
  rm -f "$pidf"
  # The inner bash records its own pid, then execs java: that pid IS the JVM, whether or not setsid forks.
  # fd 9 (the lock) is closed so that the long-lived JVMs do not keep holding it.
  # shellcheck disable=SC2016 # $$, $0 and $@ belong to the inner bash
  if command -v setsid >/dev/null 2>&1; then
    ROCKETMQ_HOME="$RUN_DIR" setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidf" "$@" </dev/null >"$out" 2>&1 9>&- &
  else
    ROCKETMQ_HOME="$RUN_DIR" nohup bash -c 'echo $$ >"$0"; exec "$@"' "$pidf" "$@" </dev/null >"$out" 2>&1 9>&- &
  fi
  for i in $(seq 1 100); do
    [ -s "$pidf" ] && break
    sleep 0.05
  done
  [ -s "$pidf" ] || die "could not start $name (no pid recorded)"
  LAUNCHED_PID="$(cat "$pidf")"
  rm -f "$pidf"
}

record_pid() { # role name pid port store
  printf '%s %s %s %s %s\n' "$@" >>"$PIDS_FILE"
}

show_failure_logs() { # name out-file server-log
  local name="$1" out="$2" slog="$3"
  {
    echo "----- last lines of $out -----"
    # (without logback's own status lines, which fill the start of every server's stdout)
    grep -v -E '^[0-9:,.]+ \|-(INFO|WARN) in ' "$out" 2>/dev/null | tail -n 40 || true
    if [ -n "$slog" ] && [ -f "$slog" ]; then
      echo "----- last lines of $slog -----"
      tail -n 40 "$slog" || true
    fi
    echo "-----"
  } >&2
}

wait_ready() { # name pid out-file pattern(ERE) port server-log
  local name="$1" pid="$2" out="$3" pattern="$4" port="$5" slog="$6"
  local deadline=$(($(now_ms) + START_TIMEOUT * 1000))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      show_failure_logs "$name" "$out" "$slog"
      die "$name (pid $pid) exited during start-up"
    fi
    if grep -Eq "$pattern" "$out" 2>/dev/null && port_open "$port"; then
      return 0
    fi
    if [ "$(now_ms)" -gt "$deadline" ]; then
      show_failure_logs "$name" "$out" "$slog"
      die "$name did not become ready within ${START_TIMEOUT}s (log line /$pattern/ + port $port)"
    fi
    sleep 0.25
  done
}

# ---------------------------------------------------------------------------------------------------------------------
# pid file

# Lines: role name pid port store   (store is "-" for the name server)
read_pids() {
  PID_LINES=()
  [ -f "$PIDS_FILE" ] || return 0
  local line
  while IFS= read -r line || [ -n "$line" ]; do
    [ -z "$line" ] && continue
    [[ "$line" == \#* ]] && continue
    PID_LINES+=("$line")
  done <"$PIDS_FILE"
}

# 0 = every recorded process alive and listening; 1 = nothing recorded; 2 = partly up
check_all() {
  read_pids
  [ "${#PID_LINES[@]}" -gt 0 ] || return 1
  local line role name pid port store bad=0
  for line in "${PID_LINES[@]}"; do
    read -r role name pid port store <<<"$line"
    if ! is_ours "$pid" || ! port_open "$port"; then bad=1; fi
  done
  [ "$bad" -eq 0 ] && return 0 || return 2
}

recorded_brokers() {
  read_pids
  local n=0 line
  for line in "${PID_LINES[@]}"; do [[ "$line" == broker\ * ]] && n=$((n + 1)); done
  echo "$n"
}

# ---------------------------------------------------------------------------------------------------------------------
# down

stop_pids() { # pids... : TERM, wait up to STOP_TIMEOUT, then KILL
  local p alive deadline=$(($(now_ms) + STOP_TIMEOUT * 1000))
  for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
  while :; do
    alive=()
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
    [ "${#alive[@]}" -eq 0 ] && return 0
    if [ "$(now_ms)" -gt "$deadline" ]; then
      say "still running after ${STOP_TIMEOUT}s, sending KILL to: ${alive[*]}"
      for p in "${alive[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
      sleep 0.5
      return 0
    fi
    sleep 0.2
  done
}

do_down() {
  read_pids
  if [ "${#PID_LINES[@]}" -eq 0 ]; then
    rm -f "$PIDS_FILE"
    say "not running (nothing recorded in $PIDS_FILE)"
    return 0
  fi
  local line role name pid port store broker_pids=() namesrv_pids=() stores=() others=()
  for line in "${PID_LINES[@]}"; do
    read -r role name pid port store <<<"$line"
    [ -n "${store:-}" ] && [ "$store" != "-" ] && stores+=("$store")
    if is_ours "$pid"; then
      case "$role" in
        broker) broker_pids+=("$pid") ;;
        namesrv) namesrv_pids+=("$pid") ;;
        *) others+=("$pid") ;;
      esac
    fi
  done
  # All at once: a broker's clean shutdown alone takes ~12 s (service threads with 3 s poll intervals) and the
  # name server's ~5 s; their stores are deleted below, so ordering brokers-before-name-server buys nothing.
  local all=("${broker_pids[@]}" "${namesrv_pids[@]}" "${others[@]}")
  if [ "${#all[@]}" -gt 0 ]; then
    say "stopping ${#broker_pids[@]} broker(s) and ${#namesrv_pids[@]} name server(s): pid ${all[*]}"
    stop_pids "${all[@]}"
  fi
  local s
  for s in "${stores[@]}"; do
    # only directories this script creates: <absolute store base>/broker-<letter>-<port>
    if [[ "$s" == /?*/broker-[a-j]-+([0-9]) ]]; then
      rm -rf "$s"
    else
      say "not removing unexpected store path $s"
    fi
  done
  rmdir /dev/shm/effect-rocketmq 2>/dev/null || true
  rm -f "$PIDS_FILE"
  say "down (logs kept in $LOG_DIR)"
}

cmd_down() {
  take_lock
  do_down
}

# ---------------------------------------------------------------------------------------------------------------------
# status

cmd_status() {
  read_pids
  if [ "${#PID_LINES[@]}" -eq 0 ]; then
    say "not running"
    return 1
  fi
  local line role name pid port store alive listening bad=0 header
  header="$(grep -m1 '^# ' "$PIDS_FILE" 2>/dev/null | sed 's/^# //' || true)"
  for line in "${PID_LINES[@]}"; do
    read -r role name pid port store <<<"$line"
    if is_ours "$pid"; then alive="alive"; else
      alive="DEAD"
      bad=1
    fi
    if port_open "$port"; then listening="open"; else
      listening="CLOSED"
      bad=1
    fi
    printf '  %-8s %-10s pid %-8s %-6s %s:%-6s %s\n' "$role" "$name" "$pid" "$alive" "$HOST" "$port" "$listening"
  done
  if [ "$bad" -eq 0 ]; then
    say "up ($header)"
    return 0
  fi
  say "NOT healthy ($header); run: bash scripts/rocketmq/rocketmq.sh down"
  return 2
}

# ---------------------------------------------------------------------------------------------------------------------
# mqadmin (one command, for humans) and the post-start setup

cmd_mqadmin() {
  find_java
  ensure_libs
  mqadmin_jvm
  local args=("$@")
  if [ "${#args[@]}" -gt 0 ] && [ "${args[0]}" != "help" ] && [[ " ${args[*]} " != *" -n "* ]]; then
    args+=(-n "$NS_ADDR")
  fi
  ROCKETMQ_HOME="$RUN_DIR" exec "${MQADMIN_CMD[@]}" -cp "$LIB_DIR/*" org.apache.rocketmq.tools.command.MQAdminStartup \
    "${args[@]}" </dev/null
}

# Wait for broker registration, create the topics, verify the routes. $1 = comma-separated master addresses.
# Output goes to $LOG_DIR/setup.out.
run_setup() {
  local addrs="$1" out="$LOG_DIR/setup.out" topics="$TOPICS_FILE"
  [ -f "$topics" ] || topics=-
  mqadmin_jvm
  if [ -n "$SETUP_CP" ]; then
    ROCKETMQ_HOME="$RUN_DIR" "${MQADMIN_CMD[@]}" "${ACL_SETUP_OPTS[@]}" -cp "$LIB_DIR/*:$SETUP_CP" ClusterSetup "$NS_ADDR" "$CLUSTER" "$addrs" \
      "$START_TIMEOUT" "$topics" </dev/null >>"$out" 2>&1
    return
  fi
  [ "${ACL:-0}" -eq 0 ] || {
    echo "[setup FAILED] --acl needs javac (ClusterSetup signs the admin requests)" >>"$out"
    return 1
  }
  # Fallback without javac: one mqadmin JVM per step (mqadmin exits 0 on errors, so its output is checked).
  local steps=() step needles argstr deadline output ok n topic queues extra a
  local reg="" created=""
  IFS=',' read -r -a a <<<"$addrs"
  for n in "${a[@]}"; do
    reg+="${reg:+|}$n"
    created+="${created:+|}create topic to $n success."
  done
  steps+=("$START_TIMEOUT"$'\t'"$reg"$'\t'"clusterList -n $NS_ADDR")
  if [ "$topics" != "-" ]; then
    while read -r topic queues extra || [ -n "${topic:-}" ]; do
      [ -z "${topic:-}" ] || [[ "$topic" == \#* ]] && continue
      is_uint "${queues:-x}" || die "bad line in $topics: '$topic $queues' (expected: <topic> <queues>)"
      extra="${extra:+ -a $(echo "$extra" | tr ' ' ',')}"
      # (no separate route check here: each mqadmin JVM costs ~5 s, and a broker pushes the new route to the name
      # server before it answers "success")
      steps+=("60"$'\t'"$created"$'\t'"updateTopic -n $NS_ADDR -c $CLUSTER -t $topic -r $queues -w $queues$extra")
    done <"$topics"
  fi
  for step in "${steps[@]}"; do
    IFS=$'\t' read -r secs needles argstr <<<"$step"
    deadline=$(($(now_ms) + secs * 1000))
    while :; do
      # shellcheck disable=SC2086
      output="$(ROCKETMQ_HOME="$RUN_DIR" "${MQADMIN_CMD[@]}" -cp "$LIB_DIR/*" \
        org.apache.rocketmq.tools.command.MQAdminStartup $argstr </dev/null 2>&1 || true)"
      printf '%s\n' "$output" >>"$out"
      ok=1
      IFS='|' read -r -a a <<<"$needles"
      for n in "${a[@]}"; do [[ "$output" == *"$n"* ]] || ok=0; done
      if [ "$ok" -eq 1 ]; then
        echo "[mqadmin ok] $argstr" >>"$out"
        break
      fi
      if [ "$(now_ms)" -gt "$deadline" ]; then
        echo "[mqadmin FAILED] $argstr; expected all of [$needles] in its output" >>"$out"
        return 1
      fi
      sleep 1
    done
  done
}

# ---------------------------------------------------------------------------------------------------------------------
# ACL (--acl)

# The accounts of an ACL set: <access key> <secret key> <topic permissions> <group permissions>. The admin creates the
# topics (and, on 5.3+, the other users); the tests read back with it, send with the publisher, and expect the
# no-publish account to be refused on every topic. The same names and secrets are in the tests
# (packages/client/test/acl.integration.test.ts). Test credentials for a loopback broker, not secrets.
acl_accounts() {
  cat <<'EOF'
erq-admin erq-admin-secret admin admin
erq-publisher erq-publisher-secret Pub Sub
erq-nopub erq-nopub-secret Sub Sub
EOF
}

# 4.9.x: plain ACL (aclEnable + conf/plain_acl.yml, read from rocketmq.home.dir). 5.3 replaced it with auth 2.0
# (authentication + authorization, users kept by each broker): the initial user is the admin, ClusterSetup creates
# the others with their ACLs. No address is whitelisted: loopback clients are checked like any other.
ACL_SETUP_OPTS=()
write_acl_conf() {
  local ak sk topic group
  case "$VERSION" in
    4.*)
      {
        echo "globalWhiteRemoteAddresses: []"
        echo "accounts:"
        while read -r ak sk topic group; do
          echo "  - accessKey: $ak"
          echo "    secretKey: $sk"
          if [ "$topic" = admin ]; then
            echo "    admin: true"
          else
            echo "    admin: false"
            echo "    defaultTopicPerm: $(echo "$topic" | tr '[:lower:]' '[:upper:]')"
            echo "    defaultGroupPerm: $(echo "$group" | tr '[:lower:]' '[:upper:]')"
          fi
        done < <(acl_accounts)
      } >"$RUN_DIR/conf/plain_acl.yml"
      ;;
    5.[0-2].*) die "--acl is set up for 4.9.x (plain ACL) and 5.3+ (auth 2.0); ROCKETMQ_VERSION is $VERSION" ;;
    *)
      acl_accounts | grep -v ' admin admin$' >"$RUN_DIR/conf/acl-users.txt"
      ACL_SETUP_OPTS+=("-Deffect.rocketmq.acl.users=$RUN_DIR/conf/acl-users.txt")
      ;;
  esac
  read -r ak sk _ < <(acl_accounts)
  ACL_SETUP_OPTS+=("-Deffect.rocketmq.acl.accessKey=$ak" "-Deffect.rocketmq.acl.secretKey=$sk")
  # mqadmin (`rocketmq.sh mqadmin`) signs with the credentials of $ROCKETMQ_HOME/conf/tools.yml.
  printf 'accessKey: %s\nsecretKey: %s\n' "$ak" "$sk" >"$RUN_DIR/conf/tools.yml"
}

broker_acl_props() {
  [ "$ACL" -eq 1 ] || return 0
  local ak sk _
  read -r ak sk _ < <(acl_accounts)
  case "$VERSION" in
    4.*) echo "aclEnable=true" ;;
    *)
      printf '%s\n' "authenticationEnabled=true" "authorizationEnabled=true" \
        "authenticationProvider=org.apache.rocketmq.auth.authentication.provider.DefaultAuthenticationProvider" \
        "authenticationMetadataProvider=org.apache.rocketmq.auth.authentication.provider.LocalAuthenticationMetadataProvider" \
        "authorizationProvider=org.apache.rocketmq.auth.authorization.provider.DefaultAuthorizationProvider" \
        "authorizationMetadataProvider=org.apache.rocketmq.auth.authorization.provider.LocalAuthorizationMetadataProvider" \
        "initAuthenticationUser={\"username\":\"$ak\",\"password\":\"$sk\"}" \
        "innerClientAuthenticationCredentials={\"accessKey\":\"$ak\",\"secretKey\":\"$sk\"}"
      ;;
  esac
}

# ---------------------------------------------------------------------------------------------------------------------
# up

choose_store_base() {
  local base pct
  if [ -n "${ROCKETMQ_STORE_DIR:-}" ]; then
    base="$ROCKETMQ_STORE_DIR"
  elif [ -d /dev/shm ] && [ -w /dev/shm ]; then
    base=/dev/shm/effect-rocketmq
    pct="$(df -P /dev/shm 2>/dev/null | awk 'NR==2 {sub("%","",$5); print $5}')"
    local avail_kb
    avail_kb="$(df -Pk /dev/shm 2>/dev/null | awk 'NR==2 {print $4}')"
    # tiny /dev/shm (e.g. Docker's 64 MB default) or already busy (no room for the bound below): the repository
    if ! is_uint "${pct:-x}" || [ "$pct" -ge 45 ] || ! is_uint "${avail_kb:-x}" || [ "$avail_kb" -lt 1048576 ]; then
      base="$RUN_DIR/store"
    fi
  else
    base="$RUN_DIR/store"
  fi
  case "$base" in /*) ;; *) die "ROCKETMQ_STORE_DIR must be an absolute path (got '$base')" ;; esac
  mkdir -p "$base"
  pct="$(df -P "$base" | awk 'NR==2 {sub("%","",$5); print $5}')"
  # The broker refuses every write once its store filesystem is > 90 % used (and purges commitlogs > 85 %).
  if is_uint "${pct:-x}" && [ "$pct" -ge 80 ]; then
    die "the store filesystem of $base is ${pct}% full; RocketMQ purges data above 85% and refuses writes above 90% (free space or set ROCKETMQ_STORE_DIR)"
  fi
  STORE_BASE="$base"
  # A store in memory (tmpfs, e.g. /dev/shm) would otherwise only grow while the brokers run (commitlogs are kept
  # 48 h): past STORE_CLEAN_RATIO % of the filesystem the brokers delete their oldest commitlogs at once. RocketMQ
  # takes 30–85 %; 30 points above what is already used leaves room for every test and a few benchmark runs. With
  # less room than that the bound would delete the tests' own messages: the store is then left unbounded.
  STORE_CLEAN_RATIO=""
  if [ "$(stat -f -c %T "$base" 2>/dev/null)" = "tmpfs" ]; then
    if is_uint "${pct:-x}" && [ "$pct" -le 45 ]; then
      STORE_CLEAN_RATIO=$((pct + 30))
    else
      say "note: $base is in memory (tmpfs) and ${pct:-?}% used: its store is not bounded; restart the brokers to free it"
    fi
  fi
}

# Disk stores keep everything (tests read their messages back); memory stores are bounded (see choose_store_base).
store_cleaning() {
  if [ -n "${STORE_CLEAN_RATIO:-}" ]; then
    printf '%s\n' "cleanFileForciblyEnable=true" "diskSpaceCleanForciblyRatio=$STORE_CLEAN_RATIO" \
      "diskMaxUsedSpaceRatio=$STORE_CLEAN_RATIO"
  else
    printf '%s\n' "cleanFileForciblyEnable=false" "diskMaxUsedSpaceRatio=95"
  fi
}

write_namesrv_conf() {
  # scanAvailableNameSrv=false: the 5.x name server otherwise probes itself every few seconds at
  # <first non-loopback address>:<port> (NamesrvController seeds its client with NetworkUtil.getLocalAddress()).
  cat >"$RUN_DIR/conf/namesrv.properties" <<EOF
listenPort=$NS_PORT
bindAddress=$HOST
scanAvailableNameSrv=false
kvConfigPath=$RUN_DIR/namesrv/namesrv/kvConfig.json
configStorePath=$RUN_DIR/namesrv/namesrv/namesrv.properties
EOF
}

write_broker_conf() { # name port store
  local name="$1" port="$2" store="$3" kv
  # NOTE: java.util.Properties; values are not trimmed, so no trailing spaces. Unknown keys are ignored silently.
  cat >"$RUN_DIR/conf/$name.properties" <<EOF
brokerClusterName=$CLUSTER
brokerName=$name
brokerId=0
brokerRole=ASYNC_MASTER
flushDiskType=ASYNC_FLUSH
namesrvAddr=$NS_ADDR
brokerIP1=$HOST
brokerIP2=$HOST
bindAddress=$HOST
listenPort=$port
haListenPort=$((port + 1))
storePathRootDir=$store
storePathCommitLog=$store/commitlog
mappedFileSizeCommitLog=67108864
maxHashSlotNum=100000
maxIndexNum=400000
messageIndexEnable=true
deleteWhen=04
fileReservedTime=48
$(store_cleaning)
transientStorePoolEnable=false
warmMapedFileEnable=false
autoCreateTopicEnable=$AUTO_CREATE
autoCreateSubscriptionGroup=true
timerWheelEnable=true
timerPrecisionMs=1000
transactionCheckInterval=5000
transactionTimeOut=3000
transactionCheckMax=15
waitTimeMillsInSendQueue=1000
$(broker_acl_props)
traceTopicEnable=true
EOF
  for kv in "${EXTRA_PROPS[@]}"; do echo "$kv" >>"$RUN_DIR/conf/$name.properties"; done
}

# The 5.x proxy in cluster mode: it resolves the brokers through the name server and answers remoting clients on
# PROXY_PORT (and gRPC ones on PROXY_PORT+1). Its topic routes name itself as every broker's address, so a client
# given the proxy's address as its name server sends everything through it.
write_proxy_conf() {
  cat >"$RUN_DIR/conf/rmq-proxy.json" <<EOF
{
  "rocketMQClusterName": "$CLUSTER",
  "proxyClusterName": "$CLUSTER",
  "proxyName": "proxy-$PROXY_PORT",
  "proxyMode": "cluster",
  "namesrvAddr": "$NS_ADDR",
  "localServeAddr": "$HOST",
  "remotingAccessAddr": "$HOST",
  "remotingListenPort": $PROXY_PORT,
  "grpcServerPort": $((PROXY_PORT + 1))
}
EOF
}

broker_name() { # index -> broker-a, broker-b, ...
  local letters=abcdefghij
  echo "broker-${letters:$1:1}"
}

UP_DONE=0
on_up_exit() {
  local rc=$?
  if [ "$UP_DONE" -ne 1 ]; then
    err "up failed (exit $rc); stopping everything it started"
    do_down >&2 || true
    [ "$rc" -eq 0 ] && rc=1
  fi
  exit "$rc"
}

cmd_up() {
  local brokers=1 brokers_given=0 t_total proxy=0 tls=0
  ACL=0
  AUTO_CREATE=true
  EXTRA_PROPS=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --brokers | --auto-create | --timeout | --set) [ $# -ge 2 ] || die "$1 needs a value" ;;
    esac
    case "$1" in
      --brokers) brokers="${2:-}"; brokers_given=1; shift 2 ;;
      --brokers=*) brokers="${1#*=}"; brokers_given=1; shift ;;
      --auto-create) AUTO_CREATE="${2:-}"; shift 2 ;;
      --auto-create=*) AUTO_CREATE="${1#*=}"; shift ;;
      --timeout) START_TIMEOUT="${2:-}"; shift 2 ;;
      --timeout=*) START_TIMEOUT="${1#*=}"; shift ;;
      --set) EXTRA_PROPS+=("${2:-}"); shift 2 ;;
      --set=*) EXTRA_PROPS+=("${1#*=}"); shift ;;
      --proxy) proxy=1; shift ;;
      --acl) ACL=1; shift ;;
      --tls) tls=1; shift ;;
      *) die "unknown option for up: $1 (options: --brokers N, --auto-create true|false, --timeout SEC, --set key=value, --proxy, --acl, --tls)" ;;
    esac
  done
  if ! is_uint "$brokers" || [ "$brokers" -lt 1 ] || [ "$brokers" -gt 4 ]; then
    die "--brokers must be 1..4 (got '$brokers')"
  fi
  [ "$AUTO_CREATE" = true ] || [ "$AUTO_CREATE" = false ] || die "--auto-create must be true or false"
  if [ "$proxy" -eq 1 ]; then
    case "$VERSION" in 4.*) die "--proxy needs RocketMQ 5.x (4.x has no proxy); ROCKETMQ_VERSION is $VERSION" ;; esac
    is_uint "$PROXY_PORT" || die "ROCKETMQ_PROXY_PORT must be a number"
    [ "$ACL" -eq 0 ] || die "--acl with --proxy is not set up (the proxy would need the brokers' auth settings)"
  fi
  is_uint "$START_TIMEOUT" || die "--timeout must be a number of seconds"
  if ! is_uint "$NS_PORT" || ! is_uint "$BROKER_PORT"; then
    die "ROCKETMQ_NAMESRV_PORT / ROCKETMQ_BROKER_PORT must be numbers"
  fi
  local kv
  for kv in "${EXTRA_PROPS[@]}"; do [[ "$kv" =~ ^[A-Za-z0-9_.]+=[^[:space:]]*$ ]] || die "--set expects key=value, got '$kv'"; done

  take_lock
  t_total=$(now_ms)

  # already running?
  local state=0
  check_all || state=$?
  if [ "$state" -eq 0 ]; then
    local running
    running="$(recorded_brokers)"
    if [ "$brokers_given" -eq 1 ] && [ "$running" != "$brokers" ]; then
      die "already up with $running broker(s), but --brokers $brokers was asked for; run 'down' first"
    fi
    if [ "$proxy" -eq 1 ] && ! grep -q '^proxy ' "$PIDS_FILE"; then
      die "already up without a proxy, but --proxy was asked for; run 'down' first"
    fi
    if [ "$ACL" -eq 1 ] && ! grep -q '^# .* acl=on' "$PIDS_FILE"; then
      die "already up without ACL, but --acl was asked for; run 'down' first"
    fi
    if [ "$tls" -eq 1 ] && ! tls_on; then die "already up without TLS, but --tls was asked for; run 'down' first"; fi
    if [ "$tls" -eq 0 ] && tls_on; then die "already up with TLS, but --tls was not asked for; run 'down' first"; fi
    say "already up ($running broker(s), name server $NS_ADDR); nothing to do"
    return 0
  elif [ "$state" -eq 2 ]; then
    say "found a partly running set from an earlier run; cleaning it up first"
    do_down
  fi

  find_java
  ensure_libs
  ensure_setup_tool

  # ports: name server, and per broker listen-2 (VIP), listen, listen+1 (HA)
  local i p ports=("$NS_PORT")
  [ "$proxy" -eq 1 ] && ports+=("$PROXY_PORT" $((PROXY_PORT + 1)))
  for ((i = 0; i < brokers; i++)); do
    p=$((BROKER_PORT + i * BROKER_PORT_STEP))
    ports+=($((p - 2)) "$p" $((p + 1)))
  done
  for p in "${ports[@]}"; do
    if port_open "$p"; then
      die "port $HOST:$p is already in use (another RocketMQ or service?); set ROCKETMQ_NAMESRV_PORT/ROCKETMQ_BROKER_PORT or free it"
    fi
  done

  choose_store_base

  # fresh run directory (old logs and homes are wiped; the lib cache is kept)
  rm -rf "$RUN_DIR"
  mkdir -p "$RUN_DIR/conf" "$LOG_DIR" "$RUN_DIR/namesrv"
  trap on_up_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  {
    echo "# version=$VERSION namesrv=$NS_ADDR brokers=$brokers$([ "$proxy" -eq 1 ] && echo " proxy=$HOST:$PROXY_PORT")$([ "$ACL" -eq 1 ] && echo " acl=on")$([ "$tls" -eq 1 ] && echo " tls=$TLS_DIR") store=$STORE_BASE started=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "# role name pid port store"
  } >"$PIDS_FILE"
  case "$VERSION" in 4.*) write_v4_logback ;; esac
  [ "$ACL" -eq 1 ] && write_acl_conf
  [ "$tls" -eq 1 ] && make_tls

  common_jvm_opts
  # ---- name server
  local t0 ns_pid
  t0=$(now_ms)
  write_namesrv_conf
  ln -sfn ../namesrv/logs/rocketmqlogs "$LOG_DIR/namesrv"
  # shellcheck disable=SC2086
  launch namesrv "$LOG_DIR/namesrv.out" "$JAVA" -Xms256m -Xmx512m -XX:MaxDirectMemorySize=128m "${JVM_OPTS[@]}" \
    "-Duser.home=$RUN_DIR/namesrv" -Drmq.logback.configurationFile=rmq.namesrv.logback.xml \
    -Deffect.rocketmq.role=namesrv ${ROCKETMQ_NAMESRV_JAVA_OPTS:-} -cp "$LIB_DIR/*" \
    org.apache.rocketmq.namesrv.NamesrvStartup -c "$RUN_DIR/conf/namesrv.properties"
  ns_pid="$LAUNCHED_PID"
  record_pid namesrv namesrv "$ns_pid" "$NS_PORT" -
  wait_ready "name server" "$ns_pid" "$LOG_DIR/namesrv.out" 'The Name Server boot success' "$NS_PORT" \
    "$RUN_DIR/namesrv/logs/rocketmqlogs/namesrv.log"
  say "name server up on $NS_ADDR (pid $ns_pid) in $(since "$t0")"

  # ---- brokers (started together)
  local names=() bports=() bpids=() name store
  t0=$(now_ms)
  for ((i = 0; i < brokers; i++)); do
    name="$(broker_name "$i")"
    p=$((BROKER_PORT + i * BROKER_PORT_STEP))
    store="$STORE_BASE/$name-$p"
    rm -rf "$store" && mkdir -p "$store" "$RUN_DIR/$name"
    write_broker_conf "$name" "$p" "$store"
    ln -sfn "../$name/logs/rocketmqlogs" "$LOG_DIR/$name"
    # shellcheck disable=SC2086
    launch "$name" "$LOG_DIR/$name.out" "$JAVA" -Xms512m -Xmx1g -XX:MaxDirectMemorySize=256m "${JVM_OPTS[@]}" \
      "-Duser.home=$RUN_DIR/$name" -Drmq.logback.configurationFile=rmq.broker.logback.xml \
      "-Deffect.rocketmq.role=$name" ${ROCKETMQ_BROKER_JAVA_OPTS:-} -cp "$LIB_DIR/*" \
      org.apache.rocketmq.broker.BrokerStartup -c "$RUN_DIR/conf/$name.properties" -n "$NS_ADDR"
    record_pid broker "$name" "$LAUNCHED_PID" "$p" "$store"
    names+=("$name")
    bports+=("$p")
    bpids+=("$LAUNCHED_PID")
  done
  for ((i = 0; i < brokers; i++)); do
    wait_ready "${names[$i]}" "${bpids[$i]}" "$LOG_DIR/${names[$i]}.out" \
      "The broker\\[${names[$i]}, .*\\] boot success" "${bports[$i]}" \
      "$RUN_DIR/${names[$i]}/logs/rocketmqlogs/broker.log"
    say "${names[$i]} up on $HOST:${bports[$i]} (pid ${bpids[$i]}, store ${STORE_BASE}/${names[$i]}-${bports[$i]})"
  done
  say "broker(s) ready in $(since "$t0")"

  # ---- registration + topics, in one admin-client JVM
  t0=$(now_ms)
  local addrs=""
  for ((i = 0; i < brokers; i++)); do addrs+="${addrs:+,}$HOST:${bports[$i]}"; done
  if ! run_setup "$addrs"; then
    tail -n 40 "$LOG_DIR/setup.out" >&2 || true
    die "registering the broker(s) / creating topics failed (log: $LOG_DIR/setup.out)"
  fi
  say "broker(s) registered with the name server; topics from $(basename "$TOPICS_FILE") created in $(since "$t0")"

  # ---- proxy (after the topics: it learns routes from the name server)
  if [ "$proxy" -eq 1 ]; then
    local proxy_pid
    t0=$(now_ms)
    write_proxy_conf
    mkdir -p "$RUN_DIR/proxy"
    ln -sfn ../proxy/logs/rocketmqlogs "$LOG_DIR/proxy"
    # shellcheck disable=SC2086
    RMQ_PROXY_HOME="$RUN_DIR" launch proxy "$LOG_DIR/proxy.out" "$JAVA" -Xms256m -Xmx512m -XX:MaxDirectMemorySize=256m \
      "${JVM_OPTS[@]}" "-Duser.home=$RUN_DIR/proxy" -Drmq.logback.configurationFile=rmq.proxy.logback.xml \
      -Deffect.rocketmq.role=proxy ${ROCKETMQ_PROXY_JAVA_OPTS:-} -cp "$LIB_DIR/*" \
      org.apache.rocketmq.proxy.ProxyStartup -pc "$RUN_DIR/conf/rmq-proxy.json" -pm cluster
    proxy_pid="$LAUNCHED_PID"
    record_pid proxy proxy "$proxy_pid" "$PROXY_PORT" -
    wait_ready proxy "$proxy_pid" "$LOG_DIR/proxy.out" 'rocketmq-proxy startup successfully' "$PROXY_PORT" \
      "$RUN_DIR/proxy/logs/rocketmqlogs/proxy.log"
    say "proxy up on $HOST:$PROXY_PORT (remoting; gRPC $((PROXY_PORT + 1)), pid $proxy_pid) in $(since "$t0")"
  fi

  UP_DONE=1
  trap - EXIT INT TERM
  say "up: RocketMQ $VERSION, name server $NS_ADDR, $brokers broker(s) in cluster $CLUSTER$([ "$proxy" -eq 1 ] && echo ", proxy $HOST:$PROXY_PORT")$([ "$tls" -eq 1 ] && echo ", TLS only (CA and client certificate in $TLS_DIR)"), total $(since "$t_total")"
  say "logs: $LOG_DIR   stop with: npm run rocketmq:down"
}

# ---------------------------------------------------------------------------------------------------------------------
# restart: one recorded name server or broker, after a fault test killed it (same config and store, new pid)

# A broker registers at boot only with the name servers its remoting client has already connected to (a scan that
# runs in the background); on a loaded machine the scan can lose that race, and the broker's first registration then
# comes with its periodic one, 10 s later. No client can use the broker before the name server lists it, so a
# restart is complete only then (bounded: a name server that is down itself is not waited for).
wait_listed() { # name port name-server-log bytes-of-it-before-the-restart
  local name="$1" port="$2" nslog="$3" from="$4" t0 ns_pid="" line role n pid rest
  t0=$(now_ms)
  for line in "${PID_LINES[@]}"; do
    read -r role n pid rest <<<"$line"
    [ "$role" = namesrv ] && ns_pid="$pid"
  done
  if [ -z "$ns_pid" ] || ! is_ours "$ns_pid" || [ ! -f "$nslog" ]; then
    say "name server not running: not waiting for it to list $name"
    return 0
  fi
  local pattern="new broker registered, (.*brokerAddr=)?${HOST//./\\.}:${port}[] ]"
  local deadline=$((t0 + 30000))
  while :; do
    # a rolled-over log is read from its start
    if [ "$(wc -c <"$nslog")" -lt "$from" ]; then from=0; fi
    if tail -c +"$((from + 1))" "$nslog" | grep -Eq "$pattern"; then
      say "$name listed by the name server $(since "$t0") after its boot line"
      return 0
    fi
    if [ "$(now_ms)" -gt "$deadline" ]; then
      say "warning: the name server has not listed $name within 30 s of its boot line"
      return 0
    fi
    sleep 0.1
  done
}

cmd_restart() {
  local want="${1:-}" line role name pid port store found="" header
  [ -n "$want" ] || die "restart needs a name: namesrv, broker-a, broker-b, ..."
  take_lock
  read_pids
  for line in "${PID_LINES[@]}"; do
    read -r role name pid port store <<<"$line"
    [ "$name" = "$want" ] && found="$line"
  done
  [ -n "$found" ] || die "$want is not recorded in $PIDS_FILE (is the set up?)"
  read -r role name pid port store <<<"$found"
  case "$role" in namesrv | broker) ;; *) die "restart handles the name server and brokers, not $role" ;; esac
  is_ours "$pid" && die "$name (pid $pid) is still running; kill it first"
  # the set's own version, whatever ROCKETMQ_VERSION says now
  header="$(grep -m1 '^# ' "$PIDS_FILE" | sed 's/^# //')"
  VERSION="$(sed -n 's/.*version=\([^ ]*\).*/\1/p' <<<"$header")"
  LIB_DIR="$STATE_DIR/lib/$VERSION"
  find_java
  common_jvm_opts
  local out="$LOG_DIR/$name.out" t0 nslog="$RUN_DIR/namesrv/logs/rocketmqlogs/namesrv.log" nsbytes=0
  t0=$(now_ms)
  # where the name server's log stands now: the restarted broker's registration is looked for after it
  [ -f "$nslog" ] && nsbytes=$(wc -c <"$nslog")
  # kept for the record; the new one must show its own boot line
  [ -f "$out" ] && mv -f "$out" "$out.$(date -u +%H%M%S)"
  if [ "$role" = namesrv ]; then
    # shellcheck disable=SC2086
    launch namesrv "$out" "$JAVA" -Xms256m -Xmx512m -XX:MaxDirectMemorySize=128m "${JVM_OPTS[@]}" \
      "-Duser.home=$RUN_DIR/namesrv" -Drmq.logback.configurationFile=rmq.namesrv.logback.xml \
      -Deffect.rocketmq.role=namesrv ${ROCKETMQ_NAMESRV_JAVA_OPTS:-} -cp "$LIB_DIR/*" \
      org.apache.rocketmq.namesrv.NamesrvStartup -c "$RUN_DIR/conf/namesrv.properties"
  else
    # shellcheck disable=SC2086
    launch "$name" "$out" "$JAVA" -Xms512m -Xmx1g -XX:MaxDirectMemorySize=256m "${JVM_OPTS[@]}" \
      "-Duser.home=$RUN_DIR/$name" -Drmq.logback.configurationFile=rmq.broker.logback.xml \
      "-Deffect.rocketmq.role=$name" ${ROCKETMQ_BROKER_JAVA_OPTS:-} -cp "$LIB_DIR/*" \
      org.apache.rocketmq.broker.BrokerStartup -c "$RUN_DIR/conf/$name.properties" -n "$NS_ADDR"
  fi
  # the new pid replaces the old one on the same line
  local tmp="$PIDS_FILE.tmp"
  awk -v n="$name" -v p="$LAUNCHED_PID" '$2 == n && $1 !~ /^#/ { $3 = p } { print }' "$PIDS_FILE" >"$tmp"
  mv -f "$tmp" "$PIDS_FILE"
  if [ "$role" = namesrv ]; then
    wait_ready "name server" "$LAUNCHED_PID" "$out" 'The Name Server boot success' "$port" \
      "$RUN_DIR/namesrv/logs/rocketmqlogs/namesrv.log"
  else
    wait_ready "$name" "$LAUNCHED_PID" "$out" "The broker\\[$name, .*\\] boot success" "$port" \
      "$RUN_DIR/$name/logs/rocketmqlogs/broker.log"
    wait_listed "$name" "$port" "$nslog" "$nsbytes"
  fi
  say "$name restarted on $HOST:$port (pid $LAUNCHED_PID) in $(since "$t0")"
}

# ---------------------------------------------------------------------------------------------------------------------

usage() {
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
}

main() {
  local cmd="${1:-}"
  [ $# -gt 0 ] && shift
  case "$cmd" in
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    mqadmin) cmd_mqadmin "$@" ;;
    restart) cmd_restart "$@" ;;
    fetch)
      take_lock
      find_java
      ensure_libs
      ensure_setup_tool
      say "jars ready in $LIB_DIR"
      ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
