package host

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/chelseru/chelseru"
)

// Outcomes of the OTP and SMS counters, from the error an auth call returned.
const (
	outcomeOK       = "ok"
	outcomeInvalid  = "invalid"
	outcomeConflict = "conflict"
	outcomeLimited  = "limited"
	outcomeRefused  = "refused" // wrong code, bad token
	outcomeProvider = "provider_error"
	outcomeTimeout  = "timeout"
	outcomeError    = "error"
)

var outcomes = []string{outcomeOK, outcomeInvalid, outcomeConflict, outcomeLimited, outcomeRefused, outcomeProvider, outcomeTimeout, outcomeError}

// outcomeOf names the outcome of an auth call.
func outcomeOf(err error) string {
	switch chelseru.ErrorCode(err) {
	case "":
		return outcomeOK
	case chelseru.EINVALID:
		return outcomeInvalid
	case chelseru.ECONFLICT:
		return outcomeConflict
	case chelseru.ETOOMANY:
		return outcomeLimited
	case chelseru.EUNAUTHORIZED, chelseru.EUNAUTHENTICATED:
		return outcomeRefused
	case chelseru.EPROVIDER:
		return outcomeProvider
	case chelseru.ETIMEOUT:
		return outcomeTimeout
	default:
		return outcomeError
	}
}

// metrics are the host's chelseru_* metrics. Counters for fixed label sets
// are resolved once, and the (route, status) counters on first use, so
// observing a request takes no map lookup or allocation.
type metrics struct {
	requests  *prometheus.CounterVec
	durations [numRoutes]prometheus.Observer
	byStatus  [numRoutes][600]atomic.Pointer[prometheus.Counter]
	otpSends  map[string]prometheus.Counter
	logins    map[string]prometheus.Counter
	sms       map[string]prometheus.Counter
	chat      chatMetrics
}

func newMetrics(reg **prometheus.Registry) (*metrics, error) {
	if *reg == nil {
		r := prometheus.NewRegistry()
		if err := r.Register(collectors.NewGoCollector()); err != nil {
			return nil, fmt.Errorf("register go collector: %w", err)
		}
		if err := r.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
			return nil, fmt.Errorf("register process collector: %w", err)
		}
		*reg = r
	}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chelseru_http_requests_total",
			Help: "HTTP requests served, by route and status.",
		}, []string{"route", "status"}),
	}
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "chelseru_http_request_duration_seconds",
		Help:    "Time to serve an HTTP request, by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route"})
	otp := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "chelseru_otp_sends_total",
		Help: "Requests for a one-time code, by outcome (ok: handed to the provider and accepted).",
	}, []string{"outcome"})
	login := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "chelseru_otp_verifications_total",
		Help: "Login attempts with a one-time code, by outcome (refused: wrong code; limited: code burnt).",
	}, []string{"outcome"})
	sms := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "chelseru_sms_messages_total",
		Help: "Messages sent through /api/message/send/, by outcome.",
	}, []string{"outcome"})
	for _, c := range []prometheus.Collector{m.requests, dur, otp, login, sms} {
		if err := (*reg).Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	for r := route(0); r < numRoutes; r++ {
		m.durations[r] = dur.WithLabelValues(r.String())
	}
	if err := m.chat.register(*reg); err != nil {
		return nil, err
	}
	m.otpSends, m.logins, m.sms = map[string]prometheus.Counter{}, map[string]prometheus.Counter{}, map[string]prometheus.Counter{}
	for _, o := range outcomes {
		m.otpSends[o] = otp.WithLabelValues(o)
		m.logins[o] = login.WithLabelValues(o)
		m.sms[o] = sms.WithLabelValues(o)
	}
	return m, nil
}

// observe counts one request.
func (m *metrics) observe(r route, status int, d time.Duration) {
	m.durations[r].Observe(d.Seconds())
	if status < 100 || status >= 600 {
		status = 599
	}
	p := m.byStatus[r][status].Load()
	if p == nil {
		c := m.requests.WithLabelValues(r.String(), strconv.Itoa(status))
		m.byStatus[r][status].CompareAndSwap(nil, &c)
		p = &c
	}
	(*p).Inc()
}

// metricsHandler serves reg in Prometheus' text format.
func metricsHandler(reg *prometheus.Registry) fasthttp.RequestHandler {
	return fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		MaxRequestsInFlight: 4,
	}))
}
