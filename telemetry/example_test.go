package telemetry_test

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wisphq/wisp/telemetry"
)

// An Observer registers its metrics on the registry it is given; a node
// (wisp.Config.Observer) then reports each app's requests to it. Here two
// requests are reported by hand, as the gateway would.
func Example() {
	reg := prometheus.NewRegistry()
	obs, err := telemetry.New(telemetry.Config{Registry: reg, NoVersionLabel: true})
	if err != nil {
		panic(err)
	}
	shop := obs.Version("shop", 3) // the node calls this when it loads version 3
	shop.Served(200, 0, 512, 3*time.Millisecond)
	shop.Served(503, 0, 40, time.Millisecond)

	families, err := reg.Gather()
	if err != nil {
		panic(err)
	}
	for _, f := range families {
		if f.GetName() != "wisp_app_requests_total" {
			continue
		}
		for _, m := range f.Metric {
			labels := ""
			for _, l := range m.Label {
				labels += fmt.Sprintf("%s=%q ", l.GetName(), l.GetValue())
			}
			fmt.Printf("%s %s%v\n", f.GetName(), labels, m.GetCounter().GetValue())
		}
	}
	// Output:
	// wisp_app_requests_total app="shop" code="1xx" 0
	// wisp_app_requests_total app="shop" code="2xx" 1
	// wisp_app_requests_total app="shop" code="3xx" 0
	// wisp_app_requests_total app="shop" code="4xx" 0
	// wisp_app_requests_total app="shop" code="5xx" 1
}
