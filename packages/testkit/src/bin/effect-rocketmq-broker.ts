#!/usr/bin/env node
/**
 * `effect-rocketmq-broker`: an embedded RocketMQ name server and brokers on loopback, until Ctrl-C.
 *
 * @since 0.1.0
 */
import { main } from "../internal/cli.js"

main(process.argv.slice(2))
