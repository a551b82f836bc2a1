import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { OpaqueTable, SlotSet } from "../src/internal/slots.js"

describe("SlotSet", () => {
  it("holds exactly what was added and not yet deleted, whatever the order (property, against a Set)", () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(20)), { maxLength: 100 }), (ops) => {
      const items = Array.from({ length: 21 }, (_, id) => ({ id, slot: -1 }))
      const set = new SlotSet<(typeof items)[number]>()
      const model = new Set<number>()
      for (const [add, id] of ops) {
        if (add) {
          set.add(items[id]!)
          model.add(id)
        } else {
          assert.strictEqual(set.delete(items[id]!), model.delete(id))
        }
        assert.strictEqual(set.size, model.size)
      }
      assert.deepStrictEqual(set.toArray().map((i) => i.id).sort((a, b) => a - b), [...model].sort((a, b) => a - b))
      const cleared = set.clear()
      assert.strictEqual(cleared.length, model.size)
      assert.strictEqual(set.size, 0)
      assert.isTrue(items.every((i) => i.slot === -1))
    }))
  })
})

describe("OpaqueTable", () => {
  it("finds what is in flight by opaque as a Map would, with opaques picked as a connection picks them (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(-1), fc.constant(-1), fc.nat(400)), { maxLength: 400 }),
        fc.integer(),
        (ops, start) => {
          const table = new OpaqueTable<{ readonly opaque: number }>()
          const model = new Map<number, { readonly opaque: number }>()
          let opaque = start | 0
          for (const op of ops) {
            if (op < 0) {
              // As Connection.nextOpaque: the next int32 whose slot is free.
              do opaque = (opaque + 1) | 0
              while (!table.isFree(opaque))
              assert.isFalse(model.has(opaque))
              const entry = { opaque }
              table.set(entry)
              model.set(opaque, entry)
            } else if (model.size > 0) {
              const keys = [...model.keys()]
              const key = keys[op % keys.length]!
              assert.strictEqual(table.get(key), model.get(key))
              assert.isTrue(table.delete(key))
              assert.isFalse(table.delete(key))
              assert.isUndefined(table.get(key))
              model.delete(key)
            }
            assert.strictEqual(table.size, model.size)
          }
          for (const [k, v] of model) assert.strictEqual(table.get(k), v)
          assert.strictEqual(table.clear().length, model.size)
          assert.strictEqual(table.size, 0)
        }
      )
    )
  })
})
