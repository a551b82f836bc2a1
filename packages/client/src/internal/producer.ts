// The producer: its operations, each a `Send` on the one send path (producer/send.ts), and its life (start,
// registration, shutdown). The steps of a send live in producer/: options, prepare, frames, queueSelection,
// outcome, observation, asyncWindow, send.
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import { RequestCode } from "@effect-rocketmq/protocol/RequestCode"
import * as Validators from "@effect-rocketmq/protocol/Validators"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as FiberSet from "effect/FiberSet"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import { BrokerConnectionPool } from "../BrokerConnectionPool.js"
import type { RequestError, SendError } from "../Errors.js"
import { BrokerNotFound, InvalidMessage, type MessageTooLarge, ReplyTimeout, ServiceNotAvailable } from "../Errors.js"
import type { Message } from "../Message.js"
import * as Msg from "../Message.js"
import { isAutoBatchable } from "../MessageBatch.js"
import * as MessageQueue from "../MessageQueue.js"
import type { MessageQueueSelector } from "../MessageQueueSelector.js"
import { checkedPick, checkedQueue } from "../MessageQueueSelector.js"
import { NameServerResolver } from "../NameServerResolver.js"
import type { BatchSendCallback, ProducerOptions, ProducerService, SendCallback, SendOverrides } from "../Producer.js"
import type { ReplyMessage, ReplyOptions, RequestMessage } from "../RequestReply.js"
import { replyRoute } from "../RequestReply.js"
import { RetryPolicy } from "../RetryPolicy.js"
import type { SendResult } from "../SendResult.js"
import { createIt } from "./nameServerResolver.js"
import { Accumulator } from "./producer/accumulator.js"
import { AsyncWindow } from "./producer/asyncWindow.js"
import { SendFrames } from "./producer/frames.js"
import { SendHooks } from "./producer/hooks.js"
import { MessageTraceDispatcher } from "./producer/messageTrace.js"
import { Observer } from "./producer/observation.js"
import { checkOptions, clientIdOf, Namespace } from "./producer/options.js"
import { Outcomes } from "./producer/outcome.js"
import type { Extra, Prepared } from "./producer/prepare.js"
import { Preparer } from "./producer/prepare.js"
import { QueueSelection } from "./producer/queueSelection.js"
import { Replies } from "./producer/replies.js"
import type { Pin, SendSettings } from "./producer/send.js"
import { Send, SendLoop } from "./producer/send.js"

export const currentSendOverrides: FiberRef.FiberRef<SendOverrides> = FiberRef.unsafeMake<SendOverrides>({
  sendMsgTimeout: Option.none(),
  retryPolicy: Option.none()
})

// A message's topic for observation, read before `validate` has checked that the message is one.
const topicOf = (message: Message): string =>
  typeof message === "object" && message !== null && typeof message.topic === "string" ? message.topic : ""

const toArray = <A>(a: A): Array<A> => [a]

/** What effects returned by callbacks told of the shutdown get past `shutdownTimeout`. */
const SHUTDOWN_GRACE_MILLIS = 100
/** How often shutdown looks whether queued frames have left. */
const FRAMES_POLL_MILLIS = 10

/** What the trace records still waiting at shutdown get at least, whatever is left of `shutdownTimeout`. */
const TRACE_CLOSE_MIN_MILLIS = 500

export const makeCore = (options: ProducerOptions) =>
  Effect.gen(function*() {
    const o = yield* checkOptions(options)
    const resolver = yield* NameServerResolver
    const pool = yield* BrokerConnectionPool
    const policy = yield* Effect.serviceOption(RetryPolicy)
    const clock = yield* Effect.clock
    const now = () => clock.unsafeCurrentTimeMillis()
    const runFork = Runtime.runFork(yield* Effect.runtime<never>())

    const ns = new Namespace(o.namespace, o.createTopicKey)
    const group = ns.wrap(o.groupName)
    const clientId = clientIdOf(o.instanceName)
    const preparer = new Preparer(o, ns)
    const observer = new Observer(o.groupName)
    let running = true

    // Most often a producer used after the scope that provided it closed: say so.
    const shutDownError = () =>
      new ServiceNotAvailable({
        reason: "the producer is shut down (the scope that provided it has closed: send only within that scope)"
      })
    const shutDownBeforeDone = () =>
      new ServiceNotAvailable({ reason: "the producer shut down before the asynchronous send completed" })

    // Effects of asynchronous sends (route lookups, retry delays), and the effects callbacks return: in the producer's
    // scope, so that shutdown can wait for and stop them.
    const sendFibers = yield* FiberSet.make<unknown, unknown>()
    const runInProducer = yield* FiberSet.runtime(sendFibers)<never>()
    const callbackFibers = yield* FiberSet.make<unknown, never>()
    const runCallback = yield* FiberSet.runtime(callbackFibers)<never>()

    const window = new AsyncWindow(o.maxInFlightAsyncSends, observer, (e) => void runCallback(e), () => running)
    const loop = new SendLoop({
      options: o,
      resolver,
      pool,
      frames: new SendFrames(o, group),
      selection: new QueueSelection(o.sendLatencyFaultEnable, now),
      outcomes: new Outcomes(ns, o.accessKey),
      observer,
      now,
      runInProducer: (e) => void runInProducer(e),
      runInBackground: (e) => void runFork(e),
      // A batch auto-batching made ends in its members; any other asynchronous send in its callback.
      deliver: (s, result) => {
        if (batching === undefined || !batching.settled(s, result)) window.deliver(s, result)
      },
      shutDownError: shutDownBeforeDone,
      running: () => running
    })

    // A send's settings are read from its caller's fiber; without overrides or a pin they are one of a few shared
    // objects, so a send allocates no record of its own for them.
    const settingsOf = (
      overrides: SendOverrides,
      retries: number | "none",
      pin: Pin | undefined,
      oneway: boolean
    ): SendSettings => {
      const plain = Option.isNone(overrides.sendMsgTimeout) && Option.isNone(overrides.retryPolicy) &&
        pin === undefined
      if (plain && !oneway) {
        if (retries === o.retryTimesWhenSendFailed) return defaultSettings.sync
        if (retries === o.retryTimesWhenSendAsyncFailed) return defaultSettings.async
      }
      if (plain && oneway) return defaultSettings.oneway
      return {
        retries,
        pin,
        oneway,
        timeoutMillis: Option.isSome(overrides.sendMsgTimeout) ? overrides.sendMsgTimeout.value : o.sendMsgTimeout,
        // A per-send override wins over the producer's RetryPolicy; without either, Java's plain retry count.
        schedule: Option.isSome(overrides.retryPolicy)
          ? overrides.retryPolicy.value
          : Option.isSome(policy)
          ? policy.value.schedule
          : undefined
      }
    }
    const defaultSettingsFor = (retries: number | "none", oneway: boolean): SendSettings => ({
      retries,
      pin: undefined,
      oneway,
      timeoutMillis: o.sendMsgTimeout,
      schedule: Option.isSome(policy) ? policy.value.schedule : undefined
    })
    const defaultSettings = {
      sync: defaultSettingsFor(o.retryTimesWhenSendFailed, false),
      async: defaultSettingsFor(o.retryTimesWhenSendAsyncFailed, false),
      oneway: defaultSettingsFor("none", true)
    }

    const makeSend = (
      fiber: Fiber.RuntimeFiber<unknown, unknown>,
      observed: string,
      p: Prepared,
      t0: number,
      retries: number | "none",
      pin?: Pin,
      oneway = false
    ): Send => {
      const s = new Send(
        loop,
        p,
        settingsOf(fiber.getFiberRef(currentSendOverrides), retries, pin, oneway),
        now(),
        t0,
        fiber.id()
      )
      observer.trace(s, fiber, observed, p.userTopic, p.count)
      return s
    }

    /** A send refused before it started (`Observer.refused`). */
    const refuse = <E>(
      fiber: Fiber.RuntimeFiber<unknown, unknown>,
      observed: string,
      topic: string,
      count: number,
      error: E
    ): Effect.Effect<never, E> => {
      observer.refused(fiber, observed, topic, count, error)
      return Effect.fail(error)
    }
    // The same for a batch: its topic and message count as stats see them, whatever the caller passed.
    const refuseBatch = <E>(
      fiber: Fiber.RuntimeFiber<unknown, unknown>,
      observed: string,
      messages: ReadonlyArray<Message>,
      error: E
    ): Effect.Effect<never, E> =>
      refuse(
        fiber,
        observed,
        Array.isArray(messages) && messages.length > 0 ? topicOf(messages[0]) : "",
        Array.isArray(messages) ? Math.max(1, messages.length) : 1,
        error
      )

    /** A send the caller waits for, in the caller's fiber. */
    const awaited = <A = SendResult>(
      observed: string,
      topic: string,
      count: number,
      prepared: () => Either.Either<Prepared, SendError>,
      retries: number | "none",
      pin?: Pin,
      oneway = false
    ): Effect.Effect<A, SendError> =>
      Effect.withFiberRuntime((fiber) => {
        const t0 = performance.now()
        const p = running ? prepared() : Either.left(shutDownError())
        if (Either.isLeft(p)) return refuse(fiber, observed, topic, count, p.left)
        if (hooks.empty) return loop.awaited(makeSend(fiber, observed, p.right, t0, retries, pin, oneway))
        // With hooks: the send starts (and its budget counts) once the hooks before it are done.
        const context = hooks.context(observed, p.right)
        return hooks.before(context).pipe(
          Effect.zipRight(
            Effect.suspend(() => loop.awaited(makeSend(fiber, observed, p.right, t0, retries, pin, oneway)))
          ),
          Effect.onExit((exit) =>
            Exit.isSuccess(exit)
              ? hooks.after(context, Either.right(oneway ? undefined : exit.value as SendResult))
              : hooks.failed(context, exit.cause)
          )
        )
      })

    const hooks = new SendHooks(o.groupName)

    // Auto-batching, when on: a batch's own send is made as its members would be sent alone.
    const batching = o.autoBatch
      ? new Accumulator({
        options: o,
        loop,
        preparer,
        observer,
        window,
        hooks,
        now,
        running: () => running,
        overrides: (fiber) => fiber.getFiberRef(currentSendOverrides),
        runInProducer: (e) => void runInProducer(e),
        settings: (async, pin) =>
          pin !== undefined
            ? { ...defaultSettingsFor("none", false), pin }
            : async
            ? defaultSettings.async
            : defaultSettings.sync,
        acceptAlone: (fiber, message, callback) => {
          const p = preparer.single(message)
          // The message was checked as a member already: preparing it alone cannot fail.
          if (Either.isRight(p)) accept(fiber, p.right, callback)
        },
        shutDownError
      })
      : undefined

    const plainSend = (message: Message) =>
      awaited("send", topicOf(message), 1, () => preparer.single(message), o.retryTimesWhenSendFailed)

    const send = batching === undefined
      ? plainSend
      : (message: Message) => batching.send(message, () => plainSend(message))

    // An asynchronous send is accepted in the caller's fiber; with hooks, those before it run first and those after it
    // run before its callback hears.
    const accept = (fiber: Fiber.RuntimeFiber<unknown, unknown>, p: Prepared, callback: SendCallback, pin?: Pin) => {
      const s = makeSend(
        fiber,
        "send_async",
        p,
        performance.now(),
        pin === undefined ? o.retryTimesWhenSendAsyncFailed : "none",
        pin
      )
      window.add(s)
      loop.detached(s, callback)
    }

    // A caller that found every permit taken waits for one, then tries again.
    const acceptLater = (
      fiber: Fiber.RuntimeFiber<unknown, unknown>,
      p: Prepared,
      callback: SendCallback,
      pin?: Pin
    ): Effect.Effect<void, ServiceNotAvailable> =>
      Effect.flatMap(window.awaitPermit, () => {
        if (!running) return refuse(fiber, "send_async", p.userTopic, p.count, shutDownError())
        if (window.full) return acceptLater(fiber, p, callback, pin)
        accept(fiber, p, callback, pin)
        return Effect.void
      })

    const acceptOrWait = (
      fiber: Fiber.RuntimeFiber<unknown, unknown>,
      p: Prepared,
      callback: SendCallback,
      pin?: Pin
    ): Effect.Effect<void, ServiceNotAvailable> => {
      if (hooks.empty) {
        if (window.full) return acceptLater(fiber, p, callback, pin)
        accept(fiber, p, callback, pin)
        return Effect.void
      }
      const context = hooks.context("send_async", p)
      // The callback hears even when the hooks after it are cut short (shutdown interrupts what callbacks run once its
      // grace is over): a slow hook may lose its own work, never the callback.
      const heard: SendCallback = (result) =>
        Effect.uninterruptibleMask((restore) =>
          Effect.exit(restore(hooks.after(context, result))).pipe(Effect.zipRight(Effect.suspend(() => {
            const out = callback(result)
            return out !== undefined && Effect.isEffect(out) ? restore(out) : Effect.void
          })))
        )
      // Refused or interrupted before the producer took it (shut down meanwhile; interrupted in a hook or waiting for
      // a permit): the callback never hears, the hooks do. Once taken, the callback's `heard` tells them.
      return hooks.before(context).pipe(
        Effect.zipRight(Effect.suspend(() => {
          if (!running) return refuse(fiber, "send_async", p.userTopic, p.count, shutDownError())
          if (window.full) return acceptLater(fiber, p, heard, pin)
          accept(fiber, p, heard, pin)
          return Effect.void
        })),
        Effect.onExit((exit) => Exit.isSuccess(exit) ? Effect.void : hooks.failed(context, exit.cause))
      )
    }

    const startAsync = (message: Message, callback: SendCallback, pin?: Pin) =>
      Effect.withFiberRuntime<void, InvalidMessage | MessageTooLarge | ServiceNotAvailable>((fiber) => {
        if (!running) return refuse(fiber, "send_async", topicOf(message), 1, shutDownError())
        // A pinned asynchronous send goes alone (auto-batching gathers pinned sync sends only).
        const carried = batching === undefined || pin !== undefined
          ? undefined
          : batching.sendAsync(fiber, message, callback)
        if (carried !== undefined) return carried
        const p = preparer.single(message)
        if (Either.isLeft(p)) return refuse(fiber, "send_async", topicOf(message), 1, p.left)
        return acceptOrWait(fiber, p.right, callback, pin)
      })

    const sendAsync = (message: Message, callback: SendCallback) => startAsync(message, callback)

    const submit = (message: Message) =>
      Effect.suspend(() => {
        const deferred = Deferred.unsafeMake<SendResult, SendError>(FiberId.none)
        return sendAsync(message, (result) => {
          Deferred.unsafeDone(deferred, Either.match(result, { onLeft: Exit.fail, onRight: Exit.succeed }))
        }).pipe(Effect.as(Deferred.await(deferred)))
      })

    const sendOneway = (message: Message) =>
      awaited<void>("send_oneway", topicOf(message), 1, () => preparer.single(message), "none", undefined, true)

    // A pin asks `pick` once per send and checks what it picked against the route (`checkedPick`).
    const pinOf = (topic: string, pick: (info: Parameters<Pin>[0]) => unknown): Pin => (info) =>
      checkedPick(topic, info.queues, () => pick(info))

    const select = <A>(info: Parameters<Pin>[0], message: Message, selector: MessageQueueSelector<A>, arg: A) =>
      selector(
        // The selector sees the user's topic: without a namespace the route's queues already carry it.
        ns.namespace === undefined
          ? info.queues
          : info.queues.map((q) => MessageQueue.make(ns.unwrap(q.topic), q.brokerName, q.queueId)),
        message,
        arg
      )

    // A pinned send auto-batching may carry to the queue picked: pinned again (checked against the route) when its
    // batch is sent.
    const pinnedCarriedOr = (
      message: Message,
      queue: MessageQueue.MessageQueue,
      alone: () => Effect.Effect<SendResult, SendError>
    ) =>
      typeof queue.brokerName !== "string" || typeof queue.queueId !== "number" || batching === undefined
        ? alone()
        : batching.send(message, alone, {
          async: false,
          queue,
          pin: (info) => checkedPick(message.topic, info.queues, () => queue)
        })

    const selectorPin = <A>(message: Message, selector: MessageQueueSelector<A>, arg: A): Pin =>
      pinOf(topicOf(message), (info) => select(info, message, selector, arg))

    // An explicit queue: of the message's topic, or InvalidMessage before any I/O.
    const queuePin = (topic: string, queue: MessageQueue.MessageQueue): Either.Either<Pin, InvalidMessage> =>
      Either.map(checkedQueue(topic, queue), (q) => pinOf(topic, () => q))

    const pinned = (message: Message, pin: Pin) =>
      awaited("send", topicOf(message), 1, () => preparer.single(message), "none", pin)

    const plainSendWithSelector = <A>(message: Message, selector: MessageQueueSelector<A>, arg: A) =>
      pinned(message, selectorPin(message, selector, arg))

    // As Java, auto-batching picks the queue first, then gathers by it; with no route at hand yet the send goes alone
    // (and brings the route).
    const sendWithSelector = batching === undefined
      ? plainSendWithSelector
      : <A>(message: Message, selector: MessageQueueSelector<A>, arg: A) =>
        Effect.suspend(() => {
          const alone = () => plainSendWithSelector(message, selector, arg)
          const info = isAutoBatchable(message) ? resolver.cachedPublishInfo(ns.wrap(message.topic)) : undefined
          if (info === undefined) return alone()
          const queue = checkedPick(message.topic, info.queues, () => select(info, message, selector, arg))
          return Either.isLeft(queue) ? alone() : pinnedCarriedOr(message, queue.right, alone)
        })

    const sendToQueue = (message: Message, queue: MessageQueue.MessageQueue) =>
      Effect.withFiberRuntime<SendResult, SendError>((fiber) => {
        const pin = queuePin(topicOf(message), queue)
        if (Either.isLeft(pin)) return refuse(fiber, "send", topicOf(message), 1, pin.left)
        return batching === undefined
          ? pinned(message, pin.right)
          : pinnedCarriedOr(message, queue, () => pinned(message, pin.right))
      })

    const sendAsyncWithSelector = <A>(
      message: Message,
      selector: MessageQueueSelector<A>,
      arg: A,
      callback: SendCallback
    ) => startAsync(message, callback, selectorPin(message, selector, arg))

    const sendAsyncToQueue = (message: Message, queue: MessageQueue.MessageQueue, callback: SendCallback) =>
      Effect.withFiberRuntime<void, InvalidMessage | MessageTooLarge | ServiceNotAvailable>((fiber) => {
        const pin = queuePin(topicOf(message), queue)
        return Either.isLeft(pin)
          ? refuse(fiber, "send_async", topicOf(message), 1, pin.left)
          : startAsync(message, callback, pin.right)
      })

    const onewayPinned = (message: Message, pin: Pin) =>
      awaited<void>("send_oneway", topicOf(message), 1, () => preparer.single(message), "none", pin, true)

    const sendOnewayWithSelector = <A>(message: Message, selector: MessageQueueSelector<A>, arg: A) =>
      onewayPinned(message, selectorPin(message, selector, arg))

    const sendOnewayToQueue = (message: Message, queue: MessageQueue.MessageQueue) =>
      Effect.withFiberRuntime<void, SendError>((fiber) => {
        const pin = queuePin(topicOf(message), queue)
        return Either.isLeft(pin)
          ? refuse(fiber, "send_oneway", topicOf(message), 1, pin.left)
          : onewayPinned(message, pin.right)
      })

    // A batch split into several requests sends them in turn; once one fails, those after it are never sent, and their
    // messages count as failures too (once, with that failure), as those of a batch refused whole do. `counted`: the
    // failure was counted for the request's own messages (a refusal, or its send's end), and is the batch's.
    const eachRequest = <A, E>(
      fiber: Fiber.RuntimeFiber<unknown, unknown>,
      observed: string,
      chunks: ReadonlyArray<Prepared>,
      f: (p: Prepared, i: number) => Effect.Effect<A, E>,
      counted: (cause: Cause.Cause<E>) => boolean
    ): Effect.Effect<Array<A>, E> =>
      Effect.forEach(chunks, (p, i) =>
        Effect.onExit(f(p, i), (exit) => {
          if (Exit.isSuccess(exit) || !counted(exit.cause)) return Effect.void
          return Effect.sync(() => {
            let rest = 0
            for (let j = i + 1; j < chunks.length; j++) rest += chunks[j]!.count
            if (rest > 0) observer.conclude(observer.observe(fiber, observed, p.userTopic, rest), exit)
          })
        }))

    // Each request of the batch is an asynchronous send of its own (a permit each); the callback hears once: every
    // result in order, or the first error (requests already accepted still run, and may be stored).
    const sendBatchAsync = (messages: ReadonlyArray<Message>, callback: BatchSendCallback) =>
      Effect.withFiberRuntime<void, InvalidMessage | MessageTooLarge | ServiceNotAvailable>((fiber) => {
        if (!running) return refuseBatch(fiber, "send_async", messages, shutDownError())
        const prepared = preparer.batch(messages)
        if (Either.isLeft(prepared)) return refuseBatch(fiber, "send_async", messages, prepared.left)
        const chunks = prepared.right
        const results: Array<SendResult> = new Array(chunks.length)
        let pending = chunks.length
        let ended = false
        const each = (i: number): SendCallback => (result) => {
          if (ended) return
          if (Either.isLeft(result)) {
            ended = true
            return callback(Either.left(result.left))
          }
          results[i] = result.right
          if (--pending === 0) {
            ended = true
            return callback(Either.right(results))
          }
        }
        // Only a refusal (shutdown) counted the request it stopped at; an interrupted caller's did not start.
        return Effect.asVoid(
          eachRequest(fiber, "send_async", chunks, (p, i) => acceptOrWait(fiber, p, each(i)), Cause.isFailure)
        )
      })

    const sendBatchToQueue = (messages: ReadonlyArray<Message>, queue: MessageQueue.MessageQueue) =>
      Effect.withFiberRuntime<Array<SendResult>, SendError>((fiber) => {
        if (!running) return refuseBatch(fiber, "send_batch", messages, shutDownError())
        const prepared = preparer.batch(messages)
        if (Either.isLeft(prepared)) return refuseBatch(fiber, "send_batch", messages, prepared.left)
        const pin = queuePin(prepared.right[0]!.userTopic, queue)
        if (Either.isLeft(pin)) return refuseBatch(fiber, "send_batch", messages, pin.left)
        return eachRequest(
          fiber,
          "send_batch",
          prepared.right,
          (p) => awaited("send_batch", p.userTopic, p.count, () => Either.right(p), "none", pin.right),
          () => true
        )
      })

    // As Java's `MQAdminImpl`: the topic's own route or a failure, never the default topic's queues a send would
    // auto-create the topic on (a caller asks to learn the topic's queues, or whether it exists).
    const fetchPublishMessageQueues = (
      topic: string
    ): Effect.Effect<ReadonlyArray<MessageQueue.MessageQueue>, BrokerNotFound | ServiceNotAvailable> =>
      Effect.suspend(() => {
        if (!running) return Effect.fail(shutDownError())
        // A caller without types may pass anything: no topic has a name that is not a string.
        if (typeof topic !== "string") {
          return Effect.fail(
            new BrokerNotFound({ topic: String(topic), detail: "no topic can have this name (not a string)" })
          )
        }
        const wire = ns.wrap(topic)
        const violation = Validators.brokerTopicViolation(wire)
        if (violation !== undefined) {
          return Effect.fail(new BrokerNotFound({ topic, detail: `no topic can have this name (${violation})` }))
        }
        return resolver.publishInfo(wire).pipe(
          // A route made from the default topic may be older than the topic: ask again.
          Effect.flatMap((info) => info.viaDefaultTopic ? resolver.refresh(wire) : Effect.succeed(info)),
          Effect.flatMap((info) =>
            info.viaDefaultTopic
              ? Effect.fail(new BrokerNotFound({ topic, detail: `no route info of this topic; ${createIt(wire)}` }))
              : Effect.succeed(
                info.queues.map((q) => MessageQueue.make(ns.unwrap(q.topic), q.brokerName, q.queueId))
              )
          )
        )
      })

    const awaitedBatch = (p: Prepared) =>
      awaited("send_batch", p.userTopic, p.count, () => Either.right(p), o.retryTimesWhenSendFailed)
    const sendBatch = (messages: ReadonlyArray<Message>) =>
      Effect.withFiberRuntime<Array<SendResult>, SendError>((fiber) => {
        if (!running) return refuseBatch(fiber, "send_batch", messages, shutDownError())
        const prepared = preparer.batch(messages)
        if (Either.isLeft(prepared)) return refuseBatch(fiber, "send_batch", messages, prepared.left)
        const chunks = prepared.right
        if (chunks.length > 1) return eachRequest(fiber, "send_batch", chunks, awaitedBatch, () => true)
        // Usually one request: no loop (whose closures would hold the batch for as long as Effect keeps them). With
        // no hooks (which see the request's own result) the send itself resumes its caller with the list: no layer
        // around it.
        if (!hooks.empty) return Effect.map(awaitedBatch(chunks[0]!), toArray)
        const s = makeSend(fiber, "send_batch", chunks[0]!, performance.now(), o.retryTimesWhenSendFailed)
        s.listed = true
        return loop.awaited(s)
      })

    // Message trace: its own fibers, so that its records can still be sent once the user's sends have stopped.
    const traceFibers = o.enableMsgTrace ? yield* FiberSet.make<unknown, unknown>() : undefined
    const messageTrace = traceFibers !== undefined
      ? new MessageTraceDispatcher({
        options: o,
        resolver,
        pool,
        ns,
        now,
        runInTrace: yield* FiberSet.runtime(traceFibers)<never>(),
        runInBackground: (e) => void runFork(e)
      })
      : undefined
    observer.messageTrace = messageTrace
    let shutdownDeadline = 0

    // Request-reply: replies come pushed on this client's connections, matched by correlation id.
    const replies = new Replies(clientId)
    yield* pool.addRequestHandler(RequestCode.PUSH_REPLY_MESSAGE_TO_CLIENT, replies.handle)

    const request = (
      message: Message,
      timeoutMillis: number,
      pin?: Pin
    ): Effect.Effect<ReplyMessage, RequestError> =>
      Effect.withFiberRuntime((fiber) => {
        const topic = topicOf(message)
        if (!running) return refuse(fiber, "request", topic, 1, shutDownError())
        if (!Number.isSafeInteger(timeoutMillis) || timeoutMillis <= 0) {
          return refuse(
            fiber,
            "request",
            topic,
            1,
            new InvalidMessage({
              topic,
              reason: `the request timeout must be a positive integer (ms), got ${timeoutMillis}`
            })
          )
        }
        const start = now()
        const { correlationId, reply } = replies.expect()
        const extra = {
          properties: {
            [MessageProperties.CORRELATION_ID]: correlationId,
            [MessageProperties.REPLY_TO_CLIENT]: clientId,
            [MessageProperties.TTL]: String(timeoutMillis)
          },
          sysFlag: 0
        }
        // As Java: a topic not routed yet is looked up and every broker told of this client first, so that the broker
        // the reply reaches can find its connection. A lookup that fails is the send's to report.
        const known = resolver.cachedPublishInfo(ns.wrap(topic)) !== undefined
        const ready = known ? Effect.void : Effect.ignore(resolver.publishInfo(ns.wrap(topic))).pipe(
          Effect.zipRight(resolver.heartbeat),
          Effect.timeout(timeoutMillis),
          Effect.ignore
        )
        return ready.pipe(
          Effect.zipRight(
            Effect.suspend(() =>
              awaited("request", topic, 1, () => preparer.single(message, extra), o.retryTimesWhenSendAsyncFailed, pin)
                .pipe(
                  Effect.locallyWith(currentSendOverrides, (ov) => ({
                    ...ov,
                    sendMsgTimeout: Option.some(Math.max(1, timeoutMillis - (now() - start)))
                  }))
                )
            )
          ),
          Effect.flatMap((sent) =>
            Deferred.await(reply).pipe(
              Effect.timeoutFail({
                duration: Math.max(0, timeoutMillis - (now() - start)),
                onTimeout: () =>
                  new ReplyTimeout({
                    topic,
                    correlationId,
                    timeoutMillis,
                    request: {
                      msgId: sent.msgId,
                      brokerName: sent.messageQueue.brokerName,
                      queueId: sent.messageQueue.queueId
                    }
                  })
              })
            )
          ),
          Effect.ensuring(Effect.sync(() => replies.forget(correlationId)))
        )
      })

    const requestWithSelector = <A>(
      message: Message,
      selector: MessageQueueSelector<A>,
      arg: A,
      timeoutMillis: number
    ) => request(message, timeoutMillis, selectorPin(message, selector, arg))

    const requestToQueue = (message: Message, queue: MessageQueue.MessageQueue, timeoutMillis: number) =>
      Effect.withFiberRuntime<ReplyMessage, RequestError>((fiber) => {
        const pin = queuePin(topicOf(message), queue)
        return Either.isLeft(pin)
          ? refuse(fiber, "request", topicOf(message), 1, pin.left)
          : request(message, timeoutMillis, pin.right)
      })

    const reply = (requestMessage: RequestMessage, body: Uint8Array | string, options?: ReplyOptions) =>
      Effect.withFiberRuntime<SendResult, SendError>((fiber) => {
        const route = replyRoute(requestMessage)
        if (Either.isLeft(route)) return refuse(fiber, "reply", "", 1, route.left)
        const message = Msg.make({ ...options, topic: route.right.topic, body })
        return awaited(
          "reply",
          message.topic,
          1,
          () => preparer.single(message, { properties: route.right.properties, sysFlag: 0, reply: true }),
          o.retryTimesWhenSendFailed
        )
      })

    // Start: registered with every broker the routes name (heartbeats), unregistered when the scope closes.
    yield* resolver.register({ clientId, producerGroups: [group] })
    // Runs after the finalizer below (no user send can end any more), before unregistering: the trace records still
    // waiting are sent within what is left of `shutdownTimeout`, at least TRACE_CLOSE_MIN_MILLIS.
    if (messageTrace !== undefined) {
      yield* Effect.addFinalizer(() =>
        Effect.suspend(() => messageTrace.close(Math.max(shutdownDeadline - now(), TRACE_CLOSE_MIN_MILLIS)))
      )
    }
    // Done once no connection holds frames for the socket: one-way sends, done once queued, leave within the shutdown
    // bound too (the pool of `layerDependencies` gives them no more time when it closes).
    const framesWritten: Effect.Effect<void> = Effect.flatMap(
      pool.connections,
      (connections) =>
        connections.every((c) => c.bufferedBytes === 0)
          ? Effect.void
          : Effect.zipRight(Effect.sleep(FRAMES_POLL_MILLIS), framesWritten)
    )

    // Runs first on close: refuse new sends, give in-flight asynchronous sends (and queued one-way frames) their time,
    // then tell any still unfinished how they ended.
    // All of it within `shutdownTimeout`, and SHUTDOWN_GRACE_MILLIS more for what callbacks told of the shutdown
    // return; unregistering (the finalizer above) has its own bound.
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        running = false
        const deadline = shutdownDeadline = now() + o.shutdownTimeout
        // Batches still gathering leave now, and are waited for with the asynchronous sends.
        batching?.flushAll()
        // Interruptible so the timeout can end the wait (finalizers are uninterruptible).
        return Effect.interruptible(
          window.drain.pipe(
            Effect.zipRight(batching?.drain ?? Effect.void),
            Effect.zipRight(FiberSet.awaitEmpty(callbackFibers)),
            Effect.zipRight(framesWritten),
            Effect.timeout(o.shutdownTimeout),
            Effect.ignore
          )
        ).pipe(
          Effect.zipRight(FiberSet.clear(sendFibers)),
          Effect.zipRight(Effect.sync(() => window.abandon(shutDownBeforeDone))),
          // Replies had the drain's time to come; the connections close next, so none can come after it.
          Effect.zipRight(
            Effect.sync(() =>
              replies.close(new ServiceNotAvailable({ reason: "the producer shut down before the reply came" }))
            )
          ),
          Effect.zipRight(Effect.suspend(() =>
            Effect.interruptible(
              FiberSet.awaitEmpty(callbackFibers).pipe(
                Effect.timeout(Math.max(deadline - now(), 0) + SHUTDOWN_GRACE_MILLIS),
                Effect.ignore
              )
            )
          ))
        )
      })
    )

    const service: ProducerService = {
      groupName: o.groupName,
      clientId,
      send,
      sendAsync,
      submit,
      sendOneway,
      sendWithSelector,
      sendToQueue,
      sendBatch,
      sendAsyncWithSelector,
      sendAsyncToQueue,
      sendOnewayWithSelector,
      sendOnewayToQueue,
      sendBatchAsync,
      sendBatchToQueue,
      fetchPublishMessageQueues,
      registerSendHook: (hook) => hooks.register(hook),
      request: (message, timeoutMillis) => request(message, timeoutMillis),
      requestWithSelector,
      requestToQueue,
      reply,
      stats: Effect.map(observer.stats, (stats) => ({ ...stats, lateReplyCount: replies.late }))
    }
    return {
      service,
      options: o,
      group,
      wrap: (name: string) => ns.wrap(name),
      unwrap: (name: string) => ns.unwrap(name),
      messageTrace,
      /** A synchronous send of a message with extra properties and sysFlag bits (transactions' half messages). */
      sendWith: (message: Message, extra: Extra) =>
        awaited("send", topicOf(message), 1, () => preparer.single(message, extra), o.retryTimesWhenSendFailed)
    }
  })

export const make = (options: ProducerOptions) => Effect.map(makeCore(options), (core) => core.service)
