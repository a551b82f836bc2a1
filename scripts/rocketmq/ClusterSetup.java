// Used by rocketmq.sh `up`, after the brokers printed "boot success": in ONE admin-client JVM,
//   0. ask every given broker to register with the name server right away (see below),
//   1. create/update every topic of topics.txt, with the given queue counts, on every given broker address,
//   2. wait until every given broker is registered with the name server (cluster info lists its address),
//   3. wait until the name server's route for every topic lists every broker with those queue counts.
//
// Usage: java -cp '<rocketmq lib>/*:<dir of this class>' ClusterSetup <namesrv> <cluster> <broker-addrs,...> \
//          <timeout-seconds> <topics-file>
// topics-file lines: <topic> <queues> [+attribute=value ...]   ("#" comments and blank lines are ignored;
//                    attributes such as +message.type=FIFO need RocketMQ 5.x)
//
// It talks to DefaultMQAdminExt directly instead of running one mqadmin sub-command per topic: each mqadmin command
// starts and shuts down its own admin client, and that shutdown often blocks for ~3 s. Type names are inferred with
// `var` so the same source compiles against 4.9.x (org.apache.rocketmq.common.protocol.*) and 5.x
// (org.apache.rocketmq.remoting.protocol.*). Exit status: 0 = ok, 1 = failed or timed out, 2 = bad usage.
//
// ACL (`rocketmq.sh up --acl`): -Deffect.rocketmq.acl.accessKey/secretKey sign every admin request with those
// credentials (an admin account, or the 5.3+ initial super user), and -Deffect.rocketmq.acl.users=<file> creates, on
// every broker before the topics, the 5.3+ users and their ACLs (lines: <user> <password> <topic actions|-> <group
// actions|->, actions comma-separated, e.g. Pub,Sub). Those admin calls exist only in 5.3+: reflection keeps the
// source compiling against 4.9.x.

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.rocketmq.acl.common.AclClientRPCHook;
import org.apache.rocketmq.acl.common.SessionCredentials;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

public final class ClusterSetup {
  private static final int PERM_READ_WRITE = 6;

  private ClusterSetup() {
  }

  private static final class Topic {
    final String name;
    final int queues;
    final Map<String, String> attributes = new HashMap<>();

    Topic(String name, int queues) {
      this.name = name;
      this.queues = queues;
    }
  }

  public static void main(String[] argv) {
    if (argv.length != 5) {
      System.err.println("usage: ClusterSetup <namesrv> <cluster> <broker-addr,...> <timeout-seconds> <topics-file>");
      System.exit(2);
    }
    int status = 1;
    try {
      status = run(argv[0], argv[1], new LinkedHashSet<>(Arrays.asList(argv[2].split(","))),
        Long.parseLong(argv[3]), readTopics(argv[4]));
    } catch (Throwable t) {
      t.printStackTrace();
    }
    System.out.flush();
    // No admin.shutdown(): it can block for seconds and the JVM is about to exit anyway.
    System.exit(status);
  }

  private static List<Topic> readTopics(String file) throws Exception {
    final List<Topic> topics = new ArrayList<>();
    if ("-".equals(file)) {
      return topics;
    }
    for (String raw : Files.readAllLines(Paths.get(file), StandardCharsets.UTF_8)) {
      final String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      final String[] f = line.split("\\s+");
      if (f.length < 2 || !f[1].matches("[0-9]+")) {
        throw new IllegalArgumentException("bad line in " + file + ": '" + raw + "' (expected: <topic> <queues>)");
      }
      final Topic t = new Topic(f[0], Integer.parseInt(f[1]));
      for (int i = 2; i < f.length; i++) {
        final int eq = f[i].indexOf('=');
        if (!f[i].startsWith("+") || eq < 0) {
          throw new IllegalArgumentException("bad attribute '" + f[i] + "' in " + file + " (expected +key=value)");
        }
        t.attributes.put(f[i].substring(0, eq), f[i].substring(eq + 1));
      }
      topics.add(t);
    }
    return topics;
  }

  private static int run(String namesrv, String cluster, Set<String> expected, long timeoutSec, List<Topic> topics)
    throws Exception {
    final long deadline = System.nanoTime() + timeoutSec * 1_000_000_000L;
    final String accessKey = System.getProperty("effect.rocketmq.acl.accessKey");
    final DefaultMQAdminExt admin = accessKey == null
      ? new DefaultMQAdminExt(5000L)
      : new DefaultMQAdminExt(
        new AclClientRPCHook(new SessionCredentials(accessKey, System.getProperty("effect.rocketmq.acl.secretKey"))),
        5000L);
    admin.setNamesrvAddr(namesrv);
    admin.setInstanceName("effect-rocketmq-setup-" + ProcessHandle.current().pid());
    admin.start();

    final String users = System.getProperty("effect.rocketmq.acl.users");
    if (users != null) {
      for (String addr : expected) {
        if (!createUsers(admin, addr, users, deadline)) {
          return 1;
        }
      }
      System.out.printf("[setup] users of %s created on %s%n", users, expected);
    }

    // 0. Make every broker register with the name server now. A 5.x broker's registration at start-up goes only to
    //    name servers its remoting client has already found reachable, and that check runs asynchronously; when it
    //    is late (seen with 2 brokers starting together on 2 cores) the broker stays unregistered until its periodic
    //    registration 10 s later, and the name server rejects incremental (per-topic) registrations until then.
    //    Setting brokerPermission (to its default, 6 = read+write) makes the broker run a full registration before
    //    it replies. Side effect: the broker rewrites its -c config file, which rocketmq.sh regenerates on every up.
    long t0 = System.nanoTime();
    for (String addr : expected) {
      nudge(admin, addr, deadline);
    }

    // 1. topics, straight on every expected broker address (what `mqadmin updateTopic -b <addr>` does); the broker
    //    pushes each new topic to the name server before it replies.
    for (Topic topic : topics) {
      final TopicConfig config = new TopicConfig(topic.name, topic.queues, topic.queues, PERM_READ_WRITE);
      if (!topic.attributes.isEmpty()) {
        // TopicConfig.setAttributes only exists in 5.x
        TopicConfig.class.getMethod("setAttributes", Map.class).invoke(config, topic.attributes);
      }
      for (String addr : expected) {
        while (true) {
          try {
            admin.createAndUpdateTopicConfig(addr, config);
            break;
          } catch (Exception e) {
            if (System.nanoTime() > deadline) {
              System.out.printf("[setup FAILED] creating topic %s on %s: %s%n", topic.name, addr, e);
              return 1;
            }
            Thread.sleep(250);
          }
        }
      }
    }
    System.out.printf("[setup] created %d topic(s) on %s (%d ms)%n", topics.size(), expected, ms(t0));

    // 2. registration: the master (brokerId 0) address of every expected broker is in the cluster
    t0 = System.nanoTime();
    Map<String, String> masters; // brokerName -> address
    String lastError = "";
    int attempts = 0;
    String firstError = null;
    while (true) {
      attempts++;
      masters = new HashMap<>();
      try {
        final var info = admin.examineBrokerClusterInfo();
        final var names = info.getClusterAddrTable().get(cluster);
        if (names != null) {
          for (String name : names) {
            final var data = info.getBrokerAddrTable().get(name);
            final String addr = data == null ? null : data.getBrokerAddrs().get(0L);
            if (addr != null && expected.contains(addr)) {
              masters.put(name, addr);
            }
          }
        }
        lastError = "registered so far: " + masters;
      } catch (Exception e) {
        lastError = e.toString();
      }
      if (firstError == null) {
        firstError = lastError + " after " + ms(t0) + " ms";
      }
      if (masters.values().containsAll(expected)) {
        break;
      }
      if (attempts % 8 == 0) { // every ~2 s: register the missing ones again
        for (String addr : expected) {
          if (!masters.containsValue(addr)) {
            nudge(admin, addr, deadline);
          }
        }
      }
      if (System.nanoTime() > deadline) {
        System.out.printf("[setup FAILED] brokers %s not all registered in cluster %s at %s within %d s; %s%n",
          expected, cluster, namesrv, timeoutSec, lastError);
        return 1;
      }
      Thread.sleep(250);
    }
    System.out.printf("[setup] cluster %s registered at %s: %s (%d ms, %d attempt(s)%s)%n", cluster, namesrv,
      new TreeSet<>(masters.entrySet().stream().map((e) -> e.getKey() + "=" + e.getValue()).toList()), ms(t0), attempts,
      attempts > 1 ? "; first: " + firstError : "");

    // 3. routes: every broker with the right queue counts
    t0 = System.nanoTime();
    final Set<String> brokerNames = new TreeSet<>(masters.keySet());
    for (Topic topic : topics) {
      while (true) {
        String problem;
        try {
          final var route = admin.examineTopicRouteInfo(topic.name);
          final Set<String> ok = new TreeSet<>();
          for (var q : route.getQueueDatas()) {
            if (q.getReadQueueNums() == topic.queues && q.getWriteQueueNums() == topic.queues) {
              ok.add(q.getBrokerName());
            }
          }
          problem = ok.containsAll(brokerNames) ? null : "route lists " + ok + " with " + topic.queues
            + " queues, expected " + brokerNames;
        } catch (Exception e) {
          problem = e.toString();
        }
        if (problem == null) {
          System.out.printf("[setup] topic %s: %d queue(s) on each of %s%n", topic.name, topic.queues, brokerNames);
          break;
        }
        if (System.nanoTime() > deadline) {
          System.out.printf("[setup FAILED] topic %s: %s%n", topic.name, problem);
          return 1;
        }
        Thread.sleep(250);
      }
    }
    System.out.printf("[setup] routes verified (%d ms)%n", ms(t0));
    return 0;
  }

  // 5.3+ auth 2.0: one Normal user per line, with Allow ACLs on every topic / group for the actions given ("-": no
  // ACL, so the user may authenticate but do nothing).
  private static boolean createUsers(DefaultMQAdminExt admin, String addr, String file, long deadline)
    throws Exception {
    final var createUser = DefaultMQAdminExt.class.getMethod("createUser", String.class, String.class, String.class,
      String.class);
    final var createAcl = DefaultMQAdminExt.class.getMethod("createAcl", String.class, String.class, List.class,
      List.class, List.class, String.class);
    for (String raw : Files.readAllLines(Paths.get(file), StandardCharsets.UTF_8)) {
      final String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      final String[] f = line.split("\\s+");
      if (!retry("creating user " + f[0] + " on " + addr, deadline,
        () -> createUser.invoke(admin, addr, f[0], f[1], "Normal"))) {
        return false;
      }
      final String[][] grants = {{"Topic:*", f[2]}, {"Group:*", f[3]}};
      for (String[] g : grants) {
        if (!"-".equals(g[1]) && !retry("granting " + g[1] + " on " + g[0] + " to " + f[0] + " on " + addr, deadline,
          () -> createAcl.invoke(admin, addr, "User:" + f[0], List.of(g[0]), Arrays.asList(g[1].split(",")),
            List.of(), "Allow"))) {
          return false;
        }
      }
    }
    return true;
  }

  private interface Step {
    void run() throws Exception;
  }

  private static boolean retry(String what, long deadline, Step step) throws InterruptedException {
    while (true) {
      try {
        step.run();
        return true;
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          System.out.printf("[setup FAILED] %s: %s%n", what, e.getCause() != null ? e.getCause() : e);
          return false;
        }
        Thread.sleep(250);
      }
    }
  }

  /** Asks the broker at addr for a full registration with the name server (see step 0); retries until deadline. */
  private static void nudge(DefaultMQAdminExt admin, String addr, long deadline) throws InterruptedException {
    final Properties properties = new Properties();
    properties.setProperty("brokerPermission", String.valueOf(PERM_READ_WRITE));
    while (true) {
      try {
        admin.updateBrokerConfig(addr, properties);
        return;
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          System.out.printf("[setup] could not ask %s to register: %s%n", addr, e);
          return;
        }
        Thread.sleep(250);
      }
    }
  }

  private static long ms(long t0) {
    return (System.nanoTime() - t0) / 1_000_000L;
  }
}
