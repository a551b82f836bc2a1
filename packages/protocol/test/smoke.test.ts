import { placeholder } from "@effect-rocketmq/protocol"
import { assert, it } from "@effect/vitest"
import { Effect } from "effect"

it.effect("smoke", () => Effect.sync(() => assert.strictEqual(placeholder, 1)))
