package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/chelseru/chelseru/config"
	"github.com/chelseru/chelseru/host"
)

// serveOps starts the admin listener (SERVER.ADMIN_LISTEN: admin API, admin
// page, and /metrics with SERVER.METRICS_ON_ADMIN) and the metrics listener
// (SERVER.METRICS_LISTEN), when configured. A listener that cannot start is
// an error naming its key. stop shuts both down.
func serveOps(cfg *config.Config, a *app, log *slog.Logger) (stop func(), err error) {
	type server interface {
		Serve(net.Listener) error
		Shutdown(context.Context) error
	}
	var started []server
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, s := range started {
			if err := s.Shutdown(ctx); err != nil {
				log.Error("stopping a side listener", "err", err)
			}
		}
	}
	start := func(key, addr string, s server, what string) error {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("%s: cannot listen on %s: %w", key, addr, unwrapOp(err))
		}
		started = append(started, s)
		go func() {
			if err := s.Serve(ln); err != nil {
				log.Error(what+" listener failed", "err", err)
			}
		}()
		log.Info("chelseru serving "+what, "addr", ln.Addr().String())
		return nil
	}
	if cfg.Server.AdminListen != "" {
		adm, err := host.NewAdmin(a.http, host.AdminOptions{
			Token:   string(cfg.Server.AdminToken),
			Metrics: cfg.Server.MetricsOnAdmin,
			Logger:  log.With("component", "admin"),
		})
		if err != nil {
			return stop, err
		}
		if err := start("SERVER.ADMIN_LISTEN", cfg.Server.AdminListen, adm, "admin"); err != nil {
			stop()
			return func() {}, err
		}
	}
	if cfg.Server.MetricsListen != "" {
		if err := start("SERVER.METRICS_LISTEN", cfg.Server.MetricsListen, a.http.NewMetricsServer(), "metrics"); err != nil {
			stop()
			return func() {}, err
		}
	}
	return stop, nil
}

// captcha is the host's captcha check from AUTH.CAPTCHA, or nil when off.
func captcha(cfg *config.Config) *host.Captcha {
	c := cfg.Auth.Captcha
	if c.SiteverifyURL == "" {
		return nil
	}
	return &host.Captcha{URL: c.SiteverifyURL, Secret: string(c.Secret), Timeout: c.Timeout}
}
