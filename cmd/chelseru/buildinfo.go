package main

import (
	"runtime"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chelseru/chelseru/pluginhost"
)

// buildStamp returns the version and commit the binary was built from, as
// `chelseru version` prints them (readBuildInfo).
func buildStamp() (ver, commit string) {
	b := readBuildInfo()
	return b.Version, b.Commit
}

// registerBuildInfo exposes chelseru_build_info{version,commit,goversion} 1,
// the usual way to put the running build on a dashboard.
func registerBuildInfo(reg *prometheus.Registry) {
	if reg == nil {
		return
	}
	ver, commit := buildStamp()
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "chelseru_build_info",
		Help:        "The running build: always 1, with the version, commit and Go version as labels.",
		ConstLabels: prometheus.Labels{"version": ver, "commit": commit, "goversion": runtime.Version()},
	}, func() float64 { return 1 }))
}

// providerLatencyDesc describes chelseru_provider_request_duration_seconds.
var providerLatencyDesc = prometheus.NewDesc("chelseru_provider_request_duration_seconds",
	"Time of the SMS provider's HTTP requests made for the plugin, until the whole answer was read.", nil, nil)

// providerLatency is the provider request latency histogram, built at scrape
// time from the plugin host's atomic bucket counts (the send path stays free
// of Prometheus).
type providerLatency struct{ h *pluginhost.Host }

// Describe implements prometheus.Collector.
func (p providerLatency) Describe(ch chan<- *prometheus.Desc) { ch <- providerLatencyDesc }

// Collect implements prometheus.Collector.
func (p providerLatency) Collect(ch chan<- prometheus.Metric) {
	st := p.h.Stats()
	buckets := make(map[float64]uint64, len(pluginhost.HTTPLatencyBuckets))
	var cum uint64
	for i, ub := range pluginhost.HTTPLatencyBuckets {
		if i < len(st.HTTPLatency) {
			cum += uint64(st.HTTPLatency[i])
		}
		buckets[ub] = cum
	}
	var count uint64
	for _, n := range st.HTTPLatency {
		count += uint64(n)
	}
	ch <- prometheus.MustNewConstHistogram(providerLatencyDesc, count, float64(st.HTTPNanos)/1e9, buckets)
}
