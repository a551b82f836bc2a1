// Peer for bench/codec.ts: the Java client's own RemotingCommand codec (from the rocketmq-remoting jar the
// project's scripts fetch) on the same frames, timed the same way. Prints one JSON line.
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.apache.rocketmq.remoting.protocol.header.SendMessageRequestHeader;
import org.apache.rocketmq.remoting.protocol.header.SendMessageRequestHeaderV2;

public class CodecBench {
  interface Op {
    Object run() throws Exception;
  }

  static Object sink;

  static long nsPerOp(Op op, int n) throws Exception {
    for (int i = 0; i < Math.max(n, 200_000); i++) sink = op.run(); // JIT warm-up
    long[] rounds = new long[5];
    for (int r = 0; r < rounds.length; r++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) sink = op.run();
      rounds[r] = (System.nanoTime() - t0) / n;
    }
    Arrays.sort(rounds);
    return rounds[2];
  }

  static RemotingCommand sendCommand(byte[] body) {
    SendMessageRequestHeader h = new SendMessageRequestHeader();
    h.setProducerGroup("bench_group");
    h.setTopic("BenchTopic");
    h.setDefaultTopic("TBW102");
    h.setDefaultTopicQueueNums(4);
    h.setQueueId(3);
    h.setSysFlag(0);
    h.setBornTimestamp(1_700_000_000_000L);
    h.setFlag(0);
    h.setProperties("TAGS\u0001tagA\u0002KEYS\u0001order-1\u0002WAIT\u0001true\u0002UNIQ_KEY\u0001C0A8010A30391B6D3586075BCD150001\u0002");
    h.setReconsumeTimes(0);
    h.setUnitMode(false);
    h.setBatch(false);
    h.setBrokerName("broker-a");
    RemotingCommand cmd = RemotingCommand.createRequestCommand(310, SendMessageRequestHeaderV2.createSendMessageRequestHeaderV2(h));
    cmd.setBody(body);
    return cmd;
  }

  public static void main(String[] args) throws Exception {
    byte[] body = new byte[1024];
    for (int i = 0; i < body.length; i++) body[i] = (byte) i;
    ByteBuffer frame = sendCommand(body).encode();
    byte[] bytes = new byte[frame.remaining()];
    frame.get(bytes);
    long encode = nsPerOp(() -> sendCommand(body).encode(), 200_000);
    long decode = nsPerOp(() -> {
      // NettyDecoder hands RemotingCommand.decode the frame without its 4-byte length prefix.
      ByteBuffer b = ByteBuffer.wrap(bytes, 4, bytes.length - 4).slice();
      return RemotingCommand.decode(b);
    }, 200_000);
    System.out.println("{\"frameBytes\":" + bytes.length + ",\"encodeNs\":" + encode + ",\"decodeNs\":" + decode
      + ",\"java\":\"" + System.getProperty("java.version") + "\"}");
  }
}
