package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chelseru/chelseru/pluginhost"
)

// registerPluginMetrics exposes the plugin host's counters as chelseru_plugin_*
// metrics, read at scrape time (the hot path keeps plain atomics).
func registerPluginMetrics(reg *prometheus.Registry, h *pluginhost.Host) {
	if reg == nil || h == nil {
		return
	}
	counter := func(name, help string, f func(pluginhost.Stats) int64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "chelseru", Subsystem: "plugin", Name: name, Help: help,
		}, func() float64 { return float64(f(h.Stats())) }))
	}
	counter("sends_total", "Sends handed to the provider plugin.", func(s pluginhost.Stats) int64 { return s.Sends })
	counter("send_failures_total", "Sends that failed (any class).", func(s pluginhost.Stats) int64 { return s.Failures })
	counter("errors_total", "Sends failed by the plugin itself (trap, timeout, bad output).", func(s pluginhost.Stats) int64 { return s.PluginErrors })
	counter("timeouts_total", "Sends that ran past SMS.TIMEOUT.", func(s pluginhost.Stats) int64 { return s.Timeouts })
	counter("instances_created_total", "Plugin instances created.", func(s pluginhost.Stats) int64 { return s.InstancesCreated })
	counter("instances_discarded_total", "Plugin instances discarded after a failure.", func(s pluginhost.Stats) int64 { return s.InstancesDiscarded })
	counter("reloads_total", "Plugin modules swapped in from PLUGINS_DIR.", func(s pluginhost.Stats) int64 { return s.Reloads })
	counter("reload_failures_total", "Changed plugin modules refused.", func(s pluginhost.Stats) int64 { return s.ReloadFailures })
	counter("http_requests_total", "Provider HTTP requests answered.", func(s pluginhost.Stats) int64 { return s.HTTPRequests })
	counter("stale_retries_total", "Provider requests made again because a reused connection had been closed by the provider (nothing was sent).", func(s pluginhost.Stats) int64 { return s.StaleRetries })
	reg.MustRegister(providerLatency{h})
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "chelseru", Subsystem: "plugin", Name: "instances", Help: "Live instances of the active plugin.",
	}, func() float64 { return float64(h.Stats().Instances) }))
}
