package config

import (
	"net/url"
	"strings"
	"time"
)

// Chat is the CHAT section: the WebSocket chat's limits.
type Chat struct {
	// MaxMessageChars is CHAT.MAX_MESSAGE_CHARS, the most characters in one
	// message (after trimming), 1 to 65536; default 4096.
	MaxMessageChars int
	// MaxConnectionsPerUser is CHAT.MAX_CONNECTIONS_PER_USER, the most chat
	// sockets one user may hold open (4429 beyond), 1 to 1000; default 10.
	MaxConnectionsPerUser int
	// PingInterval is CHAT.PING_INTERVAL, how often the server pings a
	// socket, 1s to 10m; default 30s.
	PingInterval time.Duration
	// IdleTimeout is CHAT.IDLE_TIMEOUT: a socket from which nothing (no
	// frame, no pong) arrived for this long is closed; more than
	// PING_INTERVAL, at most 1h; default 75s.
	IdleTimeout time.Duration
	// WriteTimeout is CHAT.WRITE_TIMEOUT, the bound on one burst of writes
	// to a socket, 100ms to 10m; default 10s.
	WriteTimeout time.Duration
	// SendQueue is CHAT.SEND_QUEUE, the frames that may wait for one socket
	// before it is closed as too slow (1013), 8 to 100000; default 1024.
	SendQueue int
}

// defaultChat is the CHAT section's defaults.
func defaultChat() Chat {
	return Chat{
		MaxMessageChars:       4096,
		MaxConnectionsPerUser: 10,
		PingInterval:          30 * time.Second,
		IdleTimeout:           75 * time.Second,
		WriteTimeout:          10 * time.Second,
		SendQueue:             1024,
	}
}

// chatFields are the CHAT section's keys.
func (d *decoder) chatFields() []field {
	c := &d.c.Chat
	return []field{
		{"MAX_MESSAGE_CHARS", d.int(&c.MaxMessageChars)},
		{"MAX_CONNECTIONS_PER_USER", d.int(&c.MaxConnectionsPerUser)},
		{"PING_INTERVAL", d.duration(&c.PingInterval)},
		{"IDLE_TIMEOUT", d.duration(&c.IdleTimeout)},
		{"WRITE_TIMEOUT", d.duration(&c.WriteTimeout)},
		{"SEND_QUEUE", d.int(&c.SendQueue)},
	}
}

// validateChat checks the CHAT section and SERVER.ALLOWED_ORIGINS.
func (c *Config) validateChat() error {
	for i, o := range c.Server.AllowedOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil || strings.TrimSpace(o) != o {
			return c.errorf("SERVER.ALLOWED_ORIGINS", "SERVER.ALLOWED_ORIGINS[%d] must be an origin, scheme://host[:port] (e.g. https://chat.example.com), got %s", i, q(o))
		}
		c.Server.AllowedOrigins[i] = strings.TrimSuffix(o, "/")
	}
	ch := &c.Chat
	for _, e := range []error{
		c.between("CHAT.MAX_MESSAGE_CHARS", int64(ch.MaxMessageChars), 1, 65536),
		c.between("CHAT.MAX_CONNECTIONS_PER_USER", int64(ch.MaxConnectionsPerUser), 1, 1000),
		c.durationBetween("CHAT.PING_INTERVAL", ch.PingInterval, time.Second, 10*time.Minute),
		c.durationBetween("CHAT.IDLE_TIMEOUT", ch.IdleTimeout, time.Second, time.Hour),
		c.durationBetween("CHAT.WRITE_TIMEOUT", ch.WriteTimeout, 100*time.Millisecond, 10*time.Minute),
		c.between("CHAT.SEND_QUEUE", int64(ch.SendQueue), 8, 100_000),
	} {
		if e != nil {
			return e
		}
	}
	if ch.IdleTimeout <= ch.PingInterval {
		return c.errorf("CHAT.IDLE_TIMEOUT", "CHAT.IDLE_TIMEOUT (%v) must be longer than CHAT.PING_INTERVAL (%v)", ch.IdleTimeout, ch.PingInterval)
	}
	return nil
}
