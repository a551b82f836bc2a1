// The producer from plain async code, no Effect: Promises in, the producer's tagged errors out (try/catch).
import { createProducer } from "@effect-rocketmq/node/PromiseProducer"

const main = async () => {
  const producer = await createProducer({
    nameServerAddr: process.env.ROCKETMQ_NAME_SERVER_ADDR ?? "127.0.0.1:9876",
    groupName: "example_promise_group"
  })
  try {
    const result = await producer.send({ topic: "erq_test", body: "hello from a Promise", keys: "order-1" })
    console.log(`stored ${result.msgId} in ${result.messageQueue}`)
    await producer.sendAsync({ topic: "erq_test", body: "and a callback" }, (error, r) => {
      if (error !== null) console.error(`async send failed: ${error._tag}`)
      else console.log(`async send stored ${r!.msgId}`)
    })
    await producer.sendOneway({ topic: "erq_test", body: "fire and forget" })
    console.log(await producer.stats())
  } catch (e) {
    // The same errors as the Effect API: `_tag` says which (BrokerNotFound, SendTimeout, ...).
    console.error(`send failed: ${(e as { _tag?: string })._tag ?? e}`)
  } finally {
    await producer.close()
  }
}

main()
