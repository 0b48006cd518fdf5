// Reads {"spec","from"} JSON lines and prints, per line, go-cron v0.15.1 ParseStandard(spec).Next(from).Unix()
// or "invalid": the cron library of kube-state-metrics v2.20.0 (its go.mod), called as KSM calls it
// (internal/store/cronjob.go: CRON_TZ=<spec.timeZone> prefix, metav1.Time in time.Local).
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"time"

	_ "time/tzdata"

	cron "github.com/netresearch/go-cron"
)

type in struct {
	Spec string `json:"spec"`
	From int64  `json:"from"`
}

func main() {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for sc.Scan() {
		var x in
		if err := json.Unmarshal(sc.Bytes(), &x); err != nil {
			panic(err)
		}
		s, err := cron.ParseStandard(x.Spec)
		if err != nil {
			fmt.Fprintln(w, "invalid")
			continue
		}
		fmt.Fprintln(w, s.Next(time.Unix(x.From, 0).Local()).Unix())
	}
}
