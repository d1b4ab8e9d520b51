#!/usr/bin/env bash
# A single-node Kafka broker in KRaft mode (broker and controller in one JVM) for the integration
# tests, from Maven Central jars cached in .cache/kafka/libs, run with the machine's Java 17.
# Listeners on 127.0.0.1 and free ports; the data folder is fresh on every start.
#   infra/kafka.sh start    fetch the jars when missing, start (or reuse the running one), write kafka.env
#   infra/kafka.sh stop     shut it down
#   infra/kafka.sh status   exit 0 when the broker answers
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
kafka_version="${FORGE_KAFKA_VERSION:-3.9.1}"
libs="$root/.cache/kafka/libs"
state="$root/.cache/services"
dir="$state/kafka"
pidfile="$dir/kafka.pid"
portfile="$dir/port"
envfile="$state/kafka.env"
log="$dir/kafka.out"
mkdir -p "$dir"

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid; pid="$(cat "$pidfile")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

port_open() {
  node -e "const s=require('net').connect($1,'127.0.0.1');s.on('connect',()=>{s.end();process.exit(0)});s.on('error',()=>process.exit(1))"
}

# The broker answers a metadata request (kafkajs from the workspace when installed, else the port).
answers() {
  [ -f "$portfile" ] || return 1
  local port; port="$(cat "$portfile")"
  if (cd "$root" && node -e "require.resolve('kafkajs')" 2>/dev/null); then
    (cd "$root" && node -e "
      const { Kafka, logLevel } = require('kafkajs');
      const admin = new Kafka({ brokers: ['127.0.0.1:$port'], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1000 }).admin();
      admin.connect().then(() => admin.describeCluster()).then((c) => admin.disconnect().then(() => process.exit(c.brokers.length > 0 ? 0 : 1)), () => process.exit(1));
    " 2>/dev/null)
  else
    port_open "$port"
  fi
}

write_env() {
  echo "FORGE_TEST_KAFKA_BROKERS=127.0.0.1:$(cat "$portfile")" > "$envfile"
}

install_java() {
  command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1 && return 0
  echo "kafka: installing Java 17 and Maven" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq openjdk-17-jre-headless maven > /dev/null
}

# Resolves kafka_2.13 and its runtime dependencies (plus a log4j binding) into the cache, once.
fetch_jars() {
  local marker="$libs/.complete-$kafka_version"
  [ -f "$marker" ] && return 0
  echo "kafka: fetching kafka_2.13 $kafka_version jars from Maven Central" >&2
  local work="$root/.cache/kafka/resolve"
  rm -rf "$libs" "$work"
  mkdir -p "$work"
  cat > "$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>forge.infra</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$kafka_version</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
EOF
  if ! (cd "$work" && mvn -B -Dstyle.color=never dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs") > "$work/mvn.log" 2>&1; then
    echo "kafka: Maven could not fetch the jars; log: $work/mvn.log" >&2
    tail -n 30 "$work/mvn.log" >&2
    exit 1
  fi
  touch "$marker"
}

write_config() {
  local broker_port="$1" controller_port="$2"
  cat > "$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$broker_port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$broker_port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
auto.create.topics.enable=true
num.partitions=3
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
min.insync.replicas=1
# Tests start many short-lived consumer groups; do not wait for more members to join.
group.initial.rebalance.delay.ms=0
log.retention.hours=24
EOF
  cat > "$dir/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$dir/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.state.change.logger=WARN
EOF
}

java_opts=(-Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true)

start() {
  local t0; t0=$(date +%s%N)
  install_java
  fetch_jars
  if running_pid >/dev/null && answers; then
    write_env
    echo "kafka: already running on 127.0.0.1:$(cat "$portfile")"
    return 0
  fi
  stop_quietly || true
  local broker_port controller_port
  broker_port="$(free_port)"
  controller_port="$(free_port)"
  while [ "$controller_port" = "$broker_port" ]; do controller_port="$(free_port)"; done
  echo "$broker_port" > "$portfile"
  write_config "$broker_port" "$controller_port"
  rm -rf "$dir/data" "$dir/server.log"
  local cluster_id
  # 16 random bytes in base64url, as Kafka's own ids; never starting with '-', which the storage
  # tool would read as an option (1 run in 64 failed to start before).
  cluster_id="$(node -e "let id; do id = require('crypto').randomBytes(16).toString('base64url'); while (id.startsWith('-')); console.log(id)")"
  java "${java_opts[@]}" -Dlog4j.configuration="file:$dir/log4j.properties" -cp "$libs/*" \
    kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" > "$dir/format.log" 2>&1 || {
    echo "kafka: storage format failed:" >&2; cat "$dir/format.log" >&2; exit 1; }
  setsid nohup java "${java_opts[@]}" -Dlog4j.configuration="file:$dir/log4j.properties" \
    -Dkafka.logs.dir="$dir" -cp "$libs/*" kafka.Kafka "$dir/server.properties" > "$log" 2>&1 < /dev/null &
  echo $! > "$pidfile"
  local pid; pid="$(cat "$pidfile")"
  for _ in $(seq 1 240); do
    kill -0 "$pid" 2>/dev/null || break
    port_open "$broker_port" 2>/dev/null && answers && break
    sleep 0.25
  done
  if ! answers; then
    echo "kafka: broker did not answer on 127.0.0.1:$broker_port; logs: $log, $dir/server.log" >&2
    tail -n 30 "$log" "$dir/server.log" >&2 2>/dev/null || true
    stop_quietly || true
    exit 1
  fi
  write_env
  echo "kafka: started on 127.0.0.1:$broker_port (controller $controller_port) in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
}

stop_quietly() {
  local pid
  pid="$(running_pid)" || { rm -f "$pidfile"; return 1; }
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
  rm -f "$pidfile"
}

stop() {
  if stop_quietly; then echo "kafka: stopped"; else echo "kafka: not running"; fi
}

status() {
  if running_pid >/dev/null && answers; then
    echo "kafka: running on 127.0.0.1:$(cat "$portfile")"
  else
    echo "kafka: not running"
    return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
