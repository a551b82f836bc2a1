// The Go remoting client (apache/rocketmq-client-go v2) under the same loads as bench/producer.ts, for side-by-side
// numbers. Built and driven by bench/producer.ts (npm run bench:producer); by hand:
//
//	cd bench/go && go build -o ../../.rocketmq/bench/go/producer-bench .
//	.rocketmq/bench/go/producer-bench 127.0.0.1:9876 erq_bench grp
//
// then one command per stdin line, as the Java peer takes them: "<scenario> <window> <messages> <warmup> [<collect>]"
// (scenarios sync, async, oneway, batch; window = messages per batch for batch; collect 1 runs runtime.GC() first);
// "quit" ends. Each command prints one line: "@@RESULT {json}".
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
)

// roundRobin walks the topic's queues as the Java and TypeScript producers do; a message that names its queue
// (the one-way barrier: one send per broker) goes there.
type roundRobin struct {
	next   atomic.Uint64
	mu     sync.Mutex
	queues []*primitive.MessageQueue
}

func (r *roundRobin) Select(m *primitive.Message, queues []*primitive.MessageQueue, _ string) *primitive.MessageQueue {
	if m.Queue != nil {
		return m.Queue
	}
	r.mu.Lock()
	r.queues = queues
	r.mu.Unlock()
	return queues[int(r.next.Add(1)%uint64(len(queues)))]
}

type bench struct {
	p        rocketmq.Producer
	sel      *roundRobin
	topic    string
	body     []byte
	requests int
}

type run struct {
	lat        []float64
	errors     int
	firstError string
}

func (r *run) fail(err error) {
	if r.errors == 0 {
		r.firstError = err.Error()
	}
	r.errors++
}

func (b *bench) message() *primitive.Message { return primitive.NewMessage(b.topic, b.body) }

func (b *bench) sync(n int, r *run) {
	for i := 0; i < n; i++ {
		t0 := time.Now()
		res, err := b.p.SendSync(context.Background(), b.message())
		r.lat = append(r.lat, float64(time.Since(t0).Nanoseconds())/1e6)
		if err != nil {
			r.fail(err)
		} else if res.Status != primitive.SendOK {
			r.fail(fmt.Errorf("status %d", res.Status))
		}
	}
	b.requests = n
}

func (b *bench) async(n, window int, r *run) {
	permits := make(chan struct{}, window)
	var wg sync.WaitGroup
	var mu sync.Mutex
	lat := make([]float64, n)
	wg.Add(n)
	for i := 0; i < n; i++ {
		permits <- struct{}{}
		k := i
		t0 := time.Now()
		done := func(err error) {
			lat[k] = float64(time.Since(t0).Nanoseconds()) / 1e6
			if err != nil {
				mu.Lock()
				r.fail(err)
				mu.Unlock()
			}
			<-permits
			wg.Done()
		}
		err := b.p.SendAsync(context.Background(), func(_ context.Context, res *primitive.SendResult, err error) {
			if err == nil && res.Status != primitive.SendOK {
				err = fmt.Errorf("status %d", res.Status)
			}
			done(err)
		}, b.message())
		if err != nil {
			done(err)
		}
	}
	wg.Wait()
	r.lat = lat
	b.requests = n
}

// barrier: one acknowledged send per broker, so the clock stops once every broker has read the one-way frames.
func (b *bench) barrier(r *run) {
	b.sel.mu.Lock()
	seen := map[string]*primitive.MessageQueue{}
	var order []*primitive.MessageQueue
	for _, q := range b.sel.queues {
		if _, ok := seen[q.BrokerName]; !ok {
			seen[q.BrokerName] = q
			order = append(order, q)
		}
	}
	b.sel.mu.Unlock()
	for _, q := range order {
		m := b.message()
		m.Queue = q
		if _, err := b.p.SendSync(context.Background(), m); err != nil {
			r.fail(err)
		}
	}
}

func (b *bench) oneway(n int, r *run) {
	for i := 0; i < n; i++ {
		if err := b.p.SendOneWay(context.Background(), b.message()); err != nil {
			r.fail(err)
		}
	}
	b.barrier(r)
	b.requests = n
}

func (b *bench) batch(n, size int, r *run) {
	reqs := 0
	for sent := 0; sent < n; sent += size {
		k := size
		if n-sent < k {
			k = n - sent
		}
		msgs := make([]*primitive.Message, k)
		for j := range msgs {
			msgs[j] = b.message()
		}
		t0 := time.Now()
		res, err := b.p.SendSync(context.Background(), msgs...)
		r.lat = append(r.lat, float64(time.Since(t0).Nanoseconds())/1e6)
		reqs++
		if err != nil {
			r.fail(err)
		} else if res.Status != primitive.SendOK {
			r.fail(fmt.Errorf("status %d", res.Status))
		}
	}
	b.requests = reqs
}

func (b *bench) execute(kind string, window, n int) *run {
	r := &run{}
	switch kind {
	case "sync":
		b.sync(n, r)
	case "async":
		b.async(n, window, r)
	case "oneway":
		b.oneway(n, r)
	case "batch":
		b.batch(n, window, r)
	default:
		panic("unknown scenario " + kind)
	}
	return r
}

func resetPeakRss() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

func peakRssMiB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "VmHWM:") {
				kb, _ := strconv.Atoi(strings.Fields(line)[1])
				return float64(kb) / 1024
			}
		}
	}
	return -1
}

func cpu() (user, system float64) {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()) / 1e9, float64(ru.Stime.Nano()) / 1e9
}

func pct(s []float64, q float64) any {
	if len(s) == 0 {
		return nil
	}
	i := int(q * float64(len(s)))
	if i >= len(s) {
		i = len(s) - 1
	}
	return s[i]
}

func (b *bench) command(line string) map[string]any {
	f := strings.Fields(line)
	if len(f) < 4 {
		return map[string]any{"peer": "go", "fatal": "bad command: " + line}
	}
	kind := f[0]
	window, _ := strconv.Atoi(f[1])
	n, _ := strconv.Atoi(f[2])
	warmup, _ := strconv.Atoi(f[3])
	if len(f) < 5 || f[4] != "0" {
		runtime.GC()
	}
	if warmup > 0 {
		b.execute(kind, window, warmup)
	}
	resetPeakRss()
	u0, s0 := cpu()
	t0 := time.Now()
	r := b.execute(kind, window, n)
	seconds := time.Since(t0).Seconds()
	u1, s1 := cpu()
	sort.Float64s(r.lat)
	cpuSec := u1 - u0 + s1 - s0
	out := map[string]any{
		"peer":                "go",
		"scenario":            fmt.Sprintf("%s/%d", kind, window),
		"messages":            n,
		"requests":            b.requests,
		"seconds":             seconds,
		"msgsPerSec":          float64(n) / seconds,
		"p50Ms":               pct(r.lat, 0.5),
		"p99Ms":               pct(r.lat, 0.99),
		"cpuSec":              cpuSec,
		"cpuSecPer100k":       cpuSec * 100000 / float64(n),
		"cpuSystemSecPer100k": (s1 - s0) * 100000 / float64(n),
		"peakRssMiB":          peakRssMiB(),
		"errors":              r.errors,
	}
	if r.firstError != "" {
		out["firstError"] = r.firstError
	}
	return out
}

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: producer-bench <nameServer> <topic> <group>")
		os.Exit(2)
	}
	rlog.SetLogLevel("error")
	body := make([]byte, 1024)
	for i := range body {
		body[i] = byte('a' + i%26)
	}
	sel := &roundRobin{}
	p, err := rocketmq.NewProducer(
		producer.WithNameServer(strings.Split(os.Args[1], ";")),
		producer.WithGroupName(os.Args[3]),
		producer.WithInstanceName(fmt.Sprintf("bench-%d", os.Getpid())),
		producer.WithSendMsgTimeout(10*time.Second),
		producer.WithRetry(2),
		producer.WithQueueSelector(sel),
	)
	if err == nil {
		err = p.Start()
	}
	b := &bench{p: p, sel: sel, topic: os.Args[2], body: body}
	if err == nil {
		// Route and connections first, so no run pays for them.
		_, err = p.SendSync(context.Background(), b.message())
	}
	if err != nil {
		j, _ := json.Marshal(map[string]any{"peer": "go", "fatal": err.Error()})
		fmt.Printf("@@READY %s\n", j)
		os.Exit(1)
	}
	fmt.Println(`@@READY {"peer":"go"}`)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		line := strings.TrimSpace(in.Text())
		if line == "quit" {
			break
		}
		if line == "" {
			continue
		}
		j, _ := json.Marshal(b.command(line))
		fmt.Printf("@@RESULT %s\n", j)
	}
	_ = p.Shutdown()
	os.Exit(0)
}
