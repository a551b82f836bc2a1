import * as NodeSocketConnector from "@effect-rocketmq/node/NodeSocketConnector"
import { Headers, MessageProperties, RemotingCommand, StoredMessage } from "@effect-rocketmq/protocol"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Either, Exit, Fiber, Layer, Logger } from "effect"
import * as BrokerConnectionPool from "../src/BrokerConnectionPool.js"
import * as Codec from "../src/Codec.js"
import { BrokerNotFound } from "../src/Errors.js"
import * as Message from "../src/Message.js"
import * as NameServerResolver from "../src/NameServerResolver.js"
import * as TransactionProducer from "../src/TransactionProducer.js"
import * as ScriptedServer from "./utils/ScriptedServer.js"

const { response } = RemotingCommand

// Answers half messages like a broker (queue offset 7, commit-log offset 0x100) and records END_TRANSACTIONs.
const broker = (offsetMsgId = "7F00000100002A9F0000000000000100") =>
  ScriptedServer.make((f, conn) => {
    if (f.code !== 310) return
    conn.send(response(f, {
      code: 0,
      extFields: {
        msgId: offsetMsgId,
        queueId: f.extFields.e!,
        queueOffset: "7",
        transactionId: /UNIQ_KEY\u0001([0-9A-F]+)/.exec(f.extFields.i!)![1]!
      }
    }))
  })

const producerWith = (
  address: string,
  checker: TransactionProducer.TransactionChecker,
  extra?: object,
  resolver: (
    r: NameServerResolver.NameServerResolverService
  ) => NameServerResolver.NameServerResolverService = (r) => r
) =>
  Effect.gen(function*() {
    const route = {
      brokerDatas: [{ brokerName: "broker-a", cluster: "c", brokerAddrs: { "0": address } }],
      queueDatas: [{ brokerName: "broker-a", perm: 6, readQueueNums: 1, writeQueueNums: 1, topicSysFlag: 0 }]
    } as any
    const ctx = yield* Layer.build(Layer.mergeAll(
      Layer.effect(NameServerResolver.NameServerResolver, Effect.map(NameServerResolver.NameServerResolver, resolver))
        .pipe(Layer.provide(NameServerResolver.layerStatic({ T: route, "ns%T": route }))),
      BrokerConnectionPool.layer().pipe(Layer.provide(NodeSocketConnector.layer), Layer.provide(Codec.layerJson))
    ))
    return yield* TransactionProducer.make({ nameServerAddr: "static:1", groupName: "tx_group", checker, ...extra })
      .pipe(Effect.provide(ctx))
  })

const endOf = (frames: ReadonlyArray<RemotingCommand.RemotingCommand>) =>
  frames.filter((f) => f.code === 37).map((f) =>
    Either.getOrThrow(Headers.EndTransactionRequestHeader.decode(f.extFields))
  )

// A CHECK_TRANSACTION_STATE as a broker sends it, for a half message with the given unique key and properties.
const checkOf = (
  uniqKey: string,
  properties: Record<string, string> = {},
  extFields?: Record<string, string>,
  topic = "T"
) =>
  RemotingCommand.request({
    code: 39,
    opaque: 1000,
    oneway: true,
    extFields: extFields ?? Headers.CheckTransactionStateRequestHeader.encode({
      topic: "RMQ_SYS_TRANS_HALF_TOPIC",
      tranStateTableOffset: 11n,
      commitLogOffset: 0x300n,
      msgId: uniqKey,
      transactionId: uniqKey,
      offsetMsgId: "7F00000100002A9F0000000000000300",
      bname: "broker-a"
    }),
    // The stored record's own offset differs from the header's: END echoes the header's.
    body: Either.getOrThrow(StoredMessage.encode({
      queueId: 0,
      queueOffset: 9n,
      commitLogOffset: 0x200n,
      sysFlag: 4,
      bornTimestamp: Date.now(),
      bornHost: { address: "127.0.0.1", port: 5000 },
      storeTimestamp: Date.now(),
      storeHost: { address: "127.0.0.1", port: 10911 },
      body: new TextEncoder().encode("pending"),
      topic,
      properties: { UNIQ_KEY: uniqKey, PGROUP: "tx_group", TRAN_MSG: "true", ...properties }
    }))
  })

describe("TransactionProducer", () => {
  it.scopedLive("sends a half message, runs the local transaction, and commits with a oneway END_TRANSACTION", () =>
    Effect.gen(function*() {
      const b = yield* broker()
      const p = yield* producerWith(b.address, () => Effect.succeed("Commit"))
      let seen: string | undefined
      const r = yield* p.sendInTransaction(
        Message.make({ topic: "T", body: "order" }),
        (_m, half) =>
          Effect.sync(() => {
            seen = half.msgId
            return "Commit" as const
          })
      )
      assert.strictEqual(r.state, "Commit")
      assert.strictEqual(seen, r.sendResult.msgId)
      const frames = yield* b.waitForFrames(2)
      const half = frames[0]!
      assert.strictEqual(Number(half.extFields.f) & 0xc, 0x4) // PREPARED
      const props = MessageProperties.decode(half.extFields.i!)
      assert.strictEqual(props.TRAN_MSG, "true")
      assert.strictEqual(props.PGROUP, "tx_group")
      const end = frames[1]!
      assert.strictEqual(end.flag & 2, 2) // oneway
      assert.deepStrictEqual(endOf(frames)[0], {
        producerGroup: "tx_group",
        tranStateTableOffset: 7n,
        commitLogOffset: 0x100n,
        commitOrRollback: 8,
        fromTransactionCheck: false,
        msgId: r.sendResult.msgId,
        transactionId: r.sendResult.msgId,
        topic: "T",
        bname: "broker-a"
      })
    }))

  it.scopedLive("with a namespace, END_TRANSACTION names the topic as stored (ns%T), as Java's msg.getTopic()", () =>
    Effect.gen(function*() {
      const b = yield* broker()
      const p = yield* producerWith(b.address, () => Effect.succeed("Commit"), { namespace: "ns" })
      const r = yield* p.sendInTransaction(Message.make({ topic: "T", body: "order" }), () => Effect.succeed("Commit"))
      assert.strictEqual(r.sendResult.messageQueue.topic, "T")
      const frames = yield* b.waitForFrames(2)
      assert.strictEqual(frames[0]!.extFields.b, "ns%T")
      // Before: "T", the user's name, which a broker's ACL (PUB on the header's topic) and a proxy read as another
      // topic.
      assert.strictEqual(endOf(frames)[0]!.topic, "ns%T")
    }))

  it.scopedLive("a broker gone from the route after the local transaction ran: its outcome, not BrokerNotFound", () =>
    Effect.gen(function*() {
      const b = yield* broker()
      const logged: Array<string> = []
      const logger = Logger.map(Logger.logfmtLogger, (line) => void logged.push(line))
      let gone = false
      const p = yield* producerWith(b.address, () => Effect.succeed("Commit"), undefined, (r) => ({
        ...r,
        masterAddress: (name) =>
          gone
            ? Effect.fail(new BrokerNotFound({ topic: "", brokerName: name, detail: "not in the route" }))
            : r.masterAddress(name),
        cachedMasterAddress: (name) => gone ? undefined : r.cachedMasterAddress(name)
      }))
      // Before: the caller got BrokerNotFound for a transaction its local step had committed.
      const r = yield* p.sendInTransaction(
        Message.make({ topic: "T", body: "order" }),
        () => Effect.sync(() => (gone = true)).pipe(Effect.as("Commit" as const))
      ).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      assert.strictEqual(r.state, "Commit")
      assert.isTrue(logged.some((line) => line.includes(`END_TRANSACTION for ${r.sendResult.msgId} not sent`)))
      // A local failure stays the caller's error.
      gone = false
      const e = yield* p.sendInTransaction(
        Message.make({ topic: "T", body: "order" }),
        () => Effect.sync(() => (gone = true)).pipe(Effect.zipRight(Effect.fail("db down" as const)))
      ).pipe(Effect.flip)
      assert.strictEqual(e, "db down")
    }))

  it.scopedLive("interrupted during the local transaction: no END (the check settles it); after it: the END still goes", () =>
    Effect.gen(function*() {
      const b = yield* broker()
      // The END's broker address is looked up (not cached) once `slow` is set: it waits for the gate.
      const gate = yield* Deferred.make<void>()
      let slow = false
      let looking = false
      const p = yield* producerWith(b.address, () => Effect.succeed("Commit"), undefined, (r) => ({
        ...r,
        masterAddress: (name) =>
          Effect.sync(() => (looking = true)).pipe(
            Effect.zipRight(Deferred.await(gate)),
            Effect.zipRight(r.masterAddress(name))
          ),
        cachedMasterAddress: (name) => slow ? undefined : r.cachedMasterAddress(name)
      }))
      // Interrupted while the local transaction runs: its outcome is unknown, nothing is sent after the half message.
      const running = yield* Deferred.make<void>()
      const local = yield* Effect.fork(p.sendInTransaction(
        Message.make({ topic: "T", body: "in doubt" }),
        () => Effect.zipRight(Deferred.succeed(running, undefined), Effect.never)
      ))
      yield* Deferred.await(running)
      assert.ok(Exit.isInterrupted(yield* Fiber.interrupt(local)))
      // Interrupted once the local transaction committed, while the END waits for its broker's address.
      const committed = yield* Effect.fork(p.sendInTransaction(
        Message.make({ topic: "T", body: "committed" }),
        () => Effect.sync(() => (slow = true)).pipe(Effect.as("Commit" as const))
      ))
      while (!looking) yield* Effect.sleep("5 millis")
      const interrupting = yield* Effect.fork(Fiber.interrupt(committed))
      yield* Deferred.succeed(gate, undefined)
      assert.ok(Exit.isInterrupted(yield* Fiber.join(interrupting)))
      // Before: the interruption cut the END short, and the committed transaction waited for the broker's check.
      const frames = yield* b.waitForFrames(3).pipe(
        Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => "no END" })
      )
      assert.deepStrictEqual(frames.map((f) => f.code), [310, 310, 37])
      assert.strictEqual(endOf(frames)[0]!.commitOrRollback, 8)
    }))

  it.scopedLive("an offsetMsgId that is no message id: the result as it is, and a warning for the END not sent", () =>
    Effect.gen(function*() {
      const b = yield* broker("X")
      const logged: Array<string> = []
      const logger = Logger.map(Logger.logfmtLogger, (line) => void logged.push(line))
      const p = yield* producerWith(b.address, () => Effect.succeed("Commit"))
      const r = yield* p.sendInTransaction(Message.make({ topic: "T", body: "order" }), () => Effect.succeed("Commit"))
        .pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      assert.strictEqual(r.state, "Commit")
      assert.strictEqual(r.sendResult.offsetMsgId, "X")
      assert.isTrue(logged.some((line) => line.includes(`END_TRANSACTION for ${r.sendResult.msgId} not sent`)))
      yield* Effect.sleep("100 millis")
      assert.strictEqual(endOf(b.received()).length, 0)
    }))

  it.scopedLive("a failing local transaction rolls back and returns its typed error", () =>
    Effect.gen(function*() {
      const b = yield* broker()
      const p = yield* producerWith(b.address, () => Effect.succeed("Commit"))
      const e = yield* p.sendInTransaction(
        Message.make({ topic: "T", body: "x" }),
        () => Effect.fail("db down" as const)
      )
        .pipe(Effect.flip)
      assert.strictEqual(e, "db down")
      const frames = yield* b.waitForFrames(2)
      assert.strictEqual(endOf(frames)[0]!.commitOrRollback, 12)
      // Configurable: leave it to the check instead.
      const q = yield* producerWith(b.address, () => Effect.succeed("Commit"), { onLocalFailure: "Unknown" })
      yield* q.sendInTransaction(Message.make({ topic: "T", body: "x" }), () => Effect.fail("db down")).pipe(
        Effect.flip
      )
      const more = yield* b.waitForFrames(4)
      assert.strictEqual(endOf(more)[1]!.commitOrRollback, 0)
    }))

  it.scopedLive("a local transaction that answers no transaction state is left Unknown (Java's null), END sent", () =>
    Effect.gen(function*() {
      const b = yield* broker()
      const p = yield* producerWith(b.address, () => Effect.succeed("Commit"))
      // Before: a defect from encoding END_TRANSACTION (ProtocolError, commitOrRollback undefined), no END sent.
      const r = yield* p.sendInTransaction(
        Message.make({ topic: "T", body: "x" }),
        () => Effect.succeed("COMMIT_MESSAGE" as unknown as TransactionProducer.TransactionState)
      )
      assert.strictEqual(r.state, "Unknown")
      const frames = yield* b.waitForFrames(2)
      assert.strictEqual(endOf(frames)[0]!.commitOrRollback, 0)
    }))

  it.scopedLive("answers the broker's check with END_TRANSACTION from the check, echoing its offsets", () =>
    Effect.gen(function*() {
      const b = yield* broker()
      const asked = yield* Deferred.make<TransactionProducer.CheckedMessage>()
      const p = yield* producerWith(b.address, (m) => Deferred.succeed(asked, m).pipe(Effect.as("Commit" as const)))
      const r = yield* p.sendInTransaction(
        Message.make({ topic: "T", body: "pending", keys: "k1" }),
        () => Effect.succeed("Unknown" as const)
      )
      yield* b.waitForFrames(2)
      b.connections[0]!.send(checkOf(r.sendResult.msgId, { KEYS: "k1", TRANSACTION_CHECK_TIMES: "1" }))
      const m = yield* Deferred.await(asked)
      assert.strictEqual(m.msgId, r.sendResult.msgId)
      assert.deepStrictEqual(m.keys, ["k1"])
      assert.strictEqual(new TextDecoder().decode(m.body), "pending")
      assert.strictEqual(m.checkTimes, 1)
      const frames = yield* b.waitForFrames(3)
      const end = endOf(frames)[1]!
      assert.strictEqual(end.commitOrRollback, 8)
      assert.strictEqual(end.fromTransactionCheck, true)
      assert.strictEqual(end.tranStateTableOffset, 11n)
      assert.strictEqual(end.commitLogOffset, 0x300n)
      // The check itself is never answered.
      assert.isTrue(frames.every((f) => (f.flag & 1) === 0))
    }))

  it.scopedLive("a checker that throws, dies, fails, answers nonsense or hangs uninterruptibly: later checks answered", () =>
    Effect.gen(function*() {
      const b = yield* broker()
      const checker: TransactionProducer.TransactionChecker = (m) => {
        switch (m.msgId) {
          case "THROW":
            throw new Error("checker bug")
          case "DIE":
            return Effect.die("boom")
          case "FAIL":
            return Effect.fail("db down")
          case "INTERRUPT":
            return Effect.interrupt
          case "NONSENSE":
            return Effect.succeed("COMMIT_MESSAGE" as TransactionProducer.TransactionState)
          case "HANG":
            // A resource whose acquisition never ends: acquireRelease acquires uninterruptibly.
            return Effect.scoped(Effect.acquireRelease(Effect.never, () => Effect.void))
          default:
            return Effect.succeed("Commit")
        }
      }
      const p = yield* producerWith(b.address, checker, { checkTimeout: 50 })
      yield* p.sendInTransaction(Message.make({ topic: "T", body: "x" }), () => Effect.succeed("Unknown" as const))
      yield* b.waitForFrames(2)
      for (const id of ["THROW", "DIE", "FAIL", "INTERRUPT", "NONSENSE", "HANG", "OK"]) {
        b.connections[0]!.send(checkOf(id))
      }
      // Before: the one worker waited for ever on the hung check's interruption; no check was answered again.
      const ends = endOf(yield* b.waitForFrames(3)).slice(1)
      assert.deepStrictEqual(ends.map((e) => [e.msgId, e.commitOrRollback, e.fromTransactionCheck]), [["OK", 8, true]])
    }))

  it.scopedLive("hostile checks (bad header, no stored message, another group) are dropped; checkTimes is a count", () =>
    Effect.gen(function*() {
      const b = yield* broker()
      const asked: Array<[string, number]> = []
      const p = yield* producerWith(b.address, (m) => {
        asked.push([m.msgId, m.checkTimes])
        return Effect.succeed("Rollback")
      })
      yield* p.sendInTransaction(Message.make({ topic: "T", body: "x" }), () => Effect.succeed("Unknown" as const))
      yield* b.waitForFrames(2)
      const good = Headers.CheckTransactionStateRequestHeader.encode({ tranStateTableOffset: 11n, commitLogOffset: 1n })
      const { commitLogOffset: _, ...noOffset } = good
      const send = (cmd: RemotingCommand.RemotingCommand) => b.connections[0]!.send(cmd)
      send(checkOf("NO_OFFSET", {}, noOffset))
      send(checkOf("NOT_A_NUMBER", {}, { ...good, commitLogOffset: "0x10" }))
      send(checkOf("TOO_LARGE", {}, { ...good, commitLogOffset: "92233720368547758080" }))
      send({ ...checkOf("NOT_STORED"), body: new Uint8Array([1, 2, 3]) })
      send(checkOf("OTHER_GROUP", { PGROUP: "other_group" }))
      send(checkOf("BAD_TIMES", { TRANSACTION_CHECK_TIMES: "many" }))
      send(checkOf("OK", { TRANSACTION_CHECK_TIMES: "3" }))
      const ends = endOf(yield* b.waitForFrames(4)).slice(1)
      assert.deepStrictEqual(ends.map((e) => [e.msgId, e.commitOrRollback]), [["BAD_TIMES", 12], ["OK", 12]])
      // Before: NaN, which no `checkTimes > n` rule ever matches.
      assert.deepStrictEqual(asked, [["BAD_TIMES", 0], ["OK", 3]])
    }))

  it.scopedLive("checks run at most checkConcurrency at a time; a limit of any size allocates nothing up front", () =>
    Effect.gen(function*() {
      const b = yield* broker()
      for (const limit of [2, Number.MAX_SAFE_INTEGER]) {
        const asked: Array<string> = []
        const release = yield* Deferred.make<void>()
        const twoAsked = yield* Deferred.make<void>()
        const threeAsked = yield* Deferred.make<void>()
        // Before: MAX_SAFE_INTEGER, a valid option, was a RangeError defect (an array of that many workers made at
        // once); 100 000 of them took 700 MB before the producer started.
        const p = yield* producerWith(b.address, (m) =>
          Effect.suspend(() => {
            asked.push(m.msgId)
            if (asked.length === 2) Deferred.unsafeDone(twoAsked, Effect.void)
            if (asked.length === 3) Deferred.unsafeDone(threeAsked, Effect.void)
            return Deferred.await(release).pipe(Effect.as("Commit" as const))
          }), { checkConcurrency: limit, checkTimeout: 60_000 })
        yield* p.sendInTransaction(Message.make({ topic: "T", body: "x" }), () => Effect.succeed("Unknown" as const))
        const before = b.received().length
        const conn = b.connections.at(-1)!
        yield* b.waitForFrames(before)
        for (const id of ["A", "B", "C"]) conn.send(checkOf(id))
        if (limit === 2) {
          yield* Deferred.await(twoAsked)
          // The third waits for a worker: the two asked are all there is until one answers.
          yield* Effect.sleep("50 millis")
          assert.deepStrictEqual(asked, ["A", "B"])
        }
        yield* Deferred.succeed(release, undefined)
        yield* Deferred.await(threeAsked)
        const ends = endOf(yield* b.waitForFrames(before + 3)).filter((e) => e.fromTransactionCheck === true)
        assert.sameMembers(ends.slice(-3).map((e) => e.msgId), ["A", "B", "C"])
      }
    }))

  it.scopedLive("with a namespace, a check shows the user's topic and is answered for the namespaced group", () =>
    Effect.gen(function*() {
      const b = yield* broker()
      const asked = yield* Deferred.make<TransactionProducer.CheckedMessage>()
      const p = yield* producerWith(
        b.address,
        (m) => Deferred.succeed(asked, m).pipe(Effect.as("Commit" as const)),
        { namespace: "ns" }
      )
      yield* p.sendInTransaction(Message.make({ topic: "T", body: "x" }), () => Effect.succeed("Unknown" as const))
      const [half] = yield* b.waitForFrames(2)
      assert.strictEqual(MessageProperties.decode(half!.extFields.i!).PGROUP, "ns%tx_group")
      b.connections[0]!.send(checkOf("U1", { PGROUP: "tx_group" }, undefined, "ns%T"))
      b.connections[0]!.send(checkOf("U2", { PGROUP: "ns%tx_group", REAL_TOPIC: "ns%T" }, undefined, "ns%T"))
      const m = yield* Deferred.await(asked)
      assert.strictEqual(m.msgId, "U2")
      assert.strictEqual(m.topic, "T")
      assert.strictEqual(m.properties.UNIQ_KEY, "U2")
      const end = endOf(yield* b.waitForFrames(3))[1]!
      assert.deepStrictEqual([end.msgId, end.producerGroup, end.topic], [
        "U2",
        "ns%tx_group",
        "RMQ_SYS_TRANS_HALF_TOPIC"
      ])
    }))

  it.scopedLive("a check whose body does not decompress is logged as malformed, not dropped without a word", () =>
    Effect.gen(function*() {
      const b = yield* broker()
      const logged: Array<string> = []
      const logger = Logger.map(Logger.logfmtLogger, (line) => void logged.push(line))
      const p = yield* producerWith(b.address, () => Effect.succeed("Commit")).pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, logger))
      )
      yield* p.sendInTransaction(Message.make({ topic: "T", body: "x" }), () => Effect.succeed("Unknown" as const))
      yield* b.waitForFrames(2)
      const check = checkOf("ZIP")
      const stored = Either.getOrThrow(StoredMessage.decode(check.body!, { decompressBody: false }))
      // sysFlag bit 0: a compressed body, which these bytes are not.
      const body = Either.getOrThrow(StoredMessage.encode({ ...stored, sysFlag: stored.sysFlag | 1 }))
      b.connections[0]!.send({ ...check, body })
      b.connections[0]!.send(checkOf("OK"))
      yield* b.waitForFrames(3)
      assert.isTrue(logged.some((line) => line.includes("malformed CHECK_TRANSACTION_STATE")))
    }))

  it.scopedLive("bad transaction options are a ConfigError naming the option, not checks that never run", () =>
    Effect.gen(function*() {
      const b = yield* broker()
      for (
        const [bad, name] of [
          // Before: no worker took the checks (every check dropped without a word).
          [{ checkConcurrency: Number.NaN }, "checkConcurrency"],
          [{ checkConcurrency: 0 }, "checkConcurrency"],
          [{ checkQueueSize: -1 }, "checkQueueSize"],
          [{ checkTimeout: Number.NaN }, "checkTimeout"],
          // Before: a failed local transaction ended with this state, committed.
          [{ onLocalFailure: "Commit" }, "onLocalFailure"],
          [{ checker: undefined }, "checker"]
        ] as const
      ) {
        const exit = yield* Effect.exit(producerWith(b.address, () => Effect.succeed("Commit"), bad))
        assert.isTrue(Exit.isFailure(exit), JSON.stringify(bad))
        if (Exit.isFailure(exit)) assert.include(String(exit.cause), name)
      }
    }))

  it.scopedLive("delayed messages cannot be transactional", () =>
    Effect.gen(function*() {
      const b = yield* broker()
      const p = yield* producerWith(b.address, () => Effect.succeed("Commit"))
      const e = yield* p.sendInTransaction(Message.make({ topic: "T", body: "x", delayLevel: 2 }), () =>
        Effect.succeed("Commit" as const)).pipe(Effect.flip)
      assert.strictEqual(e._tag, "InvalidMessage")
    }))

  it.scopedLive("two producers of one group on one pool: a check is answered once", () =>
    Effect.gen(function*() {
      const b = yield* broker()
      const route = {
        brokerDatas: [{ brokerName: "broker-a", cluster: "c", brokerAddrs: { "0": b.address } }],
        queueDatas: [{ brokerName: "broker-a", perm: 6, readQueueNums: 1, writeQueueNums: 1, topicSysFlag: 0 }]
      } as any
      const ctx = yield* Layer.build(Layer.mergeAll(
        NameServerResolver.layerStatic({ T: route }),
        BrokerConnectionPool.layer().pipe(Layer.provide(NodeSocketConnector.layer), Layer.provide(Codec.layerJson))
      ))
      const asked: Array<string> = []
      const producer = (name: string) =>
        TransactionProducer.make({
          nameServerAddr: "static:1",
          groupName: "tx_group",
          checker: () => Effect.sync(() => asked.push(name)).pipe(Effect.as("Commit" as const))
        }).pipe(Effect.provide(ctx))
      const first = yield* producer("first")
      yield* producer("second")
      // Half message and its END: the pool's one connection is open.
      yield* first.sendInTransaction(Message.make({ topic: "T", body: "x" }), () => Effect.succeed("Unknown" as const))
      yield* b.waitForFrames(2)
      b.connections[0]!.send(checkOf("7F0000010001000000000000000000C1"))
      b.connections[0]!.send(checkOf("7F0000010001000000000000000000C2"))
      const frames = yield* b.waitForFrames(4)
      // Had the other producer heard the checks too, its checker would have run by the time both ENDs came.
      yield* Effect.sleep("100 millis")
      assert.deepStrictEqual(asked, ["first", "first"])
      assert.deepStrictEqual(endOf(b.received()).map((e) => e.msgId).slice(1), [
        "7F0000010001000000000000000000C1",
        "7F0000010001000000000000000000C2"
      ])
      assert.isTrue(frames.every((f) => (f.flag & 1) === 0))
    }))
})
