// The Java reference client (DefaultMQProducer) under the same loads as bench/producer.ts, for side-by-side numbers.
//
// Compiled and driven by bench/producer.ts (npm run bench:producer); by hand:
//   javac -cp '.rocketmq/lib/5.3.3/*' -d .rocketmq/bench/producer bench/java/ProducerBench.java
//   java -Xmx512m -cp '.rocketmq/bench/producer:.rocketmq/lib/5.3.3/*' ProducerBench 127.0.0.1:9876 erq_bench grp
//     then one command per stdin line: "<scenario> <window> <messages> <warmup> [<collect>]", e.g. "async 64 30000 3000";
//     scenarios: sync, async, oneway, batch (window = messages per batch for batch), autobatch (async through a
//     second producer with setAutoBatch(true) and the accumulator's defaults); collect 1 (the default) runs
//     System.gc() before the warm-up, 0 skips it; "quit" ends.
//   Or one command as trailing arguments: ... ProducerBench 127.0.0.1:9876 erq_bench grp async 64 30000 3000
// Each command prints one line: "@@RESULT {json}".

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageQueue;

public final class ProducerBench {
  private final DefaultMQProducer producer;
  /** The same settings with autoBatch on, made on first use (group and instance of its own). */
  private DefaultMQProducer autoBatchProducer;
  private final String nameServer;
  private final String group;
  private final String topic;
  private final byte[] body = new byte[1024];
  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  private ProducerBench(String nameServer, String topic, String group) throws Exception {
    this.topic = topic;
    this.nameServer = nameServer;
    this.group = group;
    for (int i = 0; i < body.length; i++) body[i] = (byte) ('a' + i % 26);
    producer = started(group, "bench-" + ProcessHandle.current().pid(), false);
  }

  private DefaultMQProducer started(String group, String instance, boolean autoBatch) throws Exception {
    DefaultMQProducer p = new DefaultMQProducer(group);
    p.setNamesrvAddr(nameServer);
    p.setInstanceName(instance);
    p.setSendMsgTimeout(10000);
    // Our producer's default; Java 5.3.3 would otherwise pick queues through its latency table.
    p.setSendLatencyFaultEnable(false);
    p.setAutoBatch(autoBatch);
    p.start();
    // Route and connections first, so no run pays for them; a busy name server may need more than one try.
    for (int attempt = 1; ; attempt++) {
      try {
        p.send(message());
        return p;
      } catch (Exception e) {
        if (attempt == 5) {
          p.shutdown();
          throw e;
        }
        Thread.sleep(1000);
      }
    }
  }

  private DefaultMQProducer autoBatchProducer() throws Exception {
    if (autoBatchProducer == null) {
      autoBatchProducer = started(group + "_autobatch", "bench-autobatch-" + ProcessHandle.current().pid(), true);
    }
    return autoBatchProducer;
  }

  private Message message() {
    return new Message(topic, body); // a fresh Message per send: Java stores the UNIQ_KEY on the object
  }

  /** One queue per broker: the barrier after one-way sends, so the clock stops when the brokers have read them. */
  private void barrier() throws Exception {
    List<MessageQueue> queues = producer.fetchPublishMessageQueues(topic);
    Map<String, MessageQueue> perBroker = new LinkedHashMap<>();
    for (MessageQueue q : queues) perBroker.putIfAbsent(q.getBrokerName(), q);
    for (MessageQueue q : perBroker.values()) producer.send(message(), q);
  }

  private static final class Run {
    long[] latencies;
    int latencyCount;
    int errors;
    String firstError;
  }

  private void runSync(int n, Run run) throws Exception {
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      try {
        SendResult r = producer.send(message());
        if (r.getSendStatus() != SendStatus.SEND_OK) run.errors++;
      } catch (Exception e) {
        if (run.errors++ == 0) run.firstError = e.toString();
      }
      run.latencies[run.latencyCount++] = System.nanoTime() - t0;
    }
  }

  private void runAsync(DefaultMQProducer producer, int n, int window, Run run) throws Exception {
    Semaphore permits = new Semaphore(window);
    CountDownLatch done = new CountDownLatch(n);
    AtomicInteger errors = new AtomicInteger();
    long[] lat = run.latencies;
    for (int i = 0; i < n; i++) {
      permits.acquire();
      final int k = i;
      final long t0 = System.nanoTime();
      SendCallback cb = new SendCallback() {
        @Override
        public void onSuccess(SendResult r) {
          lat[k] = System.nanoTime() - t0;
          if (r.getSendStatus() != SendStatus.SEND_OK) errors.incrementAndGet();
          permits.release();
          done.countDown();
        }

        @Override
        public void onException(Throwable e) {
          lat[k] = System.nanoTime() - t0;
          if (errors.getAndIncrement() == 0) run.firstError = e.toString();
          permits.release();
          done.countDown();
        }
      };
      try {
        producer.send(message(), cb);
      } catch (Exception e) {
        cb.onException(e);
      }
    }
    if (!done.await(120, TimeUnit.SECONDS)) throw new IllegalStateException("async sends did not finish in 120 s");
    run.latencyCount = n;
    run.errors += errors.get();
  }

  private void runOneway(int n, Run run) throws Exception {
    for (int i = 0; i < n; i++) {
      try {
        producer.sendOneway(message());
      } catch (Exception e) {
        if (run.errors++ == 0) run.firstError = e.toString();
      }
    }
    barrier();
  }

  private void runBatch(int n, int size, Run run) throws Exception {
    for (int sent = 0; sent < n; sent += size) {
      List<Message> batch = new ArrayList<>(size);
      for (int j = 0; j < size && sent + j < n; j++) batch.add(message());
      long t0 = System.nanoTime();
      try {
        SendResult r = producer.send(batch);
        if (r.getSendStatus() != SendStatus.SEND_OK) run.errors++;
      } catch (Exception e) {
        if (run.errors++ == 0) run.firstError = e.toString();
      }
      run.latencies[run.latencyCount++] = System.nanoTime() - t0;
    }
  }

  private Run execute(String scenario, int window, int n) throws Exception {
    Run run = new Run();
    run.latencies = new long[n];
    switch (scenario) {
      case "sync":
        runSync(n, run);
        break;
      case "async":
        runAsync(producer, n, window, run);
        break;
      case "autobatch":
        runAsync(autoBatchProducer(), n, window, run);
        break;
      case "oneway":
        runOneway(n, run);
        break;
      case "batch":
        runBatch(n, window, run);
        break;
      default:
        throw new IllegalArgumentException("unknown scenario " + scenario);
    }
    return run;
  }

  private static void resetPeakRss() {
    try {
      Files.write(Paths.get("/proc/self/clear_refs"), "5".getBytes(StandardCharsets.US_ASCII));
    } catch (Exception ignored) {
      // Not Linux, or not allowed: VmHWM stays the peak since start.
    }
  }

  /** Kernel-mode CPU of this process (stime of /proc/self/stat), seconds; -1 when unknown. */
  private static double systemCpuSec() {
    try {
      String stat = new String(Files.readAllBytes(Paths.get("/proc/self/stat")), StandardCharsets.US_ASCII);
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
      return Long.parseLong(f[12]) / 100.0; // USER_HZ
    } catch (Exception e) {
      return -1;
    }
  }

  private static long statusKb(String field) {
    try {
      for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
        if (line.startsWith(field + ":")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    } catch (Exception ignored) {
      // not Linux
    }
    return -1;
  }

  private String command(String scenario, int window, int n, int warmup, boolean collect) throws Exception {
    // As the Node peers: the collection before the warm-up, so the clock starts on a warm process.
    if (collect) System.gc();
    if (warmup > 0) execute(scenario, window, warmup);
    resetPeakRss();
    double sys0 = systemCpuSec();
    long cpu0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    Run run = execute(scenario, window, n);
    long elapsed = System.nanoTime() - t0;
    long cpu = os.getProcessCpuTime() - cpu0;
    double sys = systemCpuSec() - sys0;
    long[] lat = Arrays.copyOf(run.latencies, run.latencyCount);
    Arrays.sort(lat);
    double seconds = elapsed / 1e9;
    StringBuilder sb = new StringBuilder("{");
    sb.append("\"peer\":\"java\",\"scenario\":\"").append(scenario).append("\",\"window\":").append(window);
    sb.append(",\"messages\":").append(n);
    sb.append(",\"requests\":").append(scenario.equals("batch") ? (n + window - 1) / window : n);
    sb.append(",\"seconds\":").append(seconds);
    sb.append(",\"msgsPerSec\":").append(n / seconds);
    sb.append(",\"p50Ms\":").append(lat.length == 0 ? "null" : String.valueOf(pct(lat, 0.5) / 1e6));
    sb.append(",\"p99Ms\":").append(lat.length == 0 ? "null" : String.valueOf(pct(lat, 0.99) / 1e6));
    sb.append(",\"cpuSec\":").append(cpu / 1e9);
    sb.append(",\"cpuSecPer100k\":").append(cpu / 1e9 * 100000.0 / n);
    if (sys0 >= 0) sb.append(",\"cpuSystemSecPer100k\":").append(sys * 100000.0 / n);
    sb.append(",\"peakRssMiB\":").append(statusKb("VmHWM") / 1024.0);
    sb.append(",\"errors\":").append(run.errors);
    if (run.firstError != null) sb.append(",\"firstError\":\"").append(jsonEscape(run.firstError)).append('"');
    sb.append('}');
    return sb.toString();
  }

  private static long pct(long[] sorted, double q) {
    return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))];
  }

  private static String jsonEscape(String s) {
    StringBuilder sb = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') sb.append('\\').append(c);
      else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
      else sb.append(c);
    }
    return sb.toString();
  }

  private String handle(String line) {
    String[] p = line.trim().split("\\s+");
    try {
      boolean collect = p.length < 5 || !p[4].equals("0");
      return command(p[0], Integer.parseInt(p[1]), Integer.parseInt(p[2]), Integer.parseInt(p[3]), collect);
    } catch (Exception e) {
      return "{\"peer\":\"java\",\"fatal\":\"" + jsonEscape(e.toString()) + "\"}";
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: ProducerBench <nameServer> <topic> <group> [<scenario> <window> <messages> <warmup>]");
      System.exit(2);
    }
    ProducerBench bench;
    try {
      bench = new ProducerBench(args[0], args[1], args[2]);
    } catch (Exception e) {
      // The client's threads would keep the JVM alive: exit, so the driver sees the failure.
      e.printStackTrace();
      System.exit(1);
      return;
    }
    try {
      if (args.length >= 7) {
        System.out.println("@@RESULT " + bench.handle(String.join(" ", Arrays.copyOfRange(args, 3, 7))));
      } else {
        System.out.println("@@READY {\"peer\":\"java\",\"sendLatencyFaultEnable\":"
            + bench.producer.isSendLatencyFaultEnable() + "}");
        java.io.BufferedReader in =
            new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null && !line.trim().equals("quit")) {
          if (line.trim().isEmpty()) continue;
          System.out.println("@@RESULT " + bench.handle(line));
        }
      }
    } finally {
      bench.producer.shutdown();
      if (bench.autoBatchProducer != null) bench.autoBatchProducer.shutdown();
    }
    System.exit(0);
  }
}
