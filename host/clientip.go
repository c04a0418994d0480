package host

import (
	"bytes"
	"net"
	"net/netip"

	"github.com/valyala/fasthttp"
)

// clientIP is the address of the client that made the request: the socket
// peer, unless the peer is a trusted proxy; then the right-most address of
// X-Forwarded-For that is not a trusted proxy (each proxy appends the
// address it received the request from, so entries left of an untrusted one
// may be forged by the client). When every entry is trusted the left-most
// is used; an entry that is not an address stops the walk at the last good
// one. "" when the peer is unknown.
func (s *Server) clientIP(ctx *fasthttp.RequestCtx) string {
	peer := addrOf(ctx.RemoteAddr())
	if !peer.IsValid() {
		return ""
	}
	if !s.trusted(peer) {
		return peer.String()
	}
	client := peer
	hdrs := ctx.Request.Header.PeekAll("X-Forwarded-For")
	for i := len(hdrs) - 1; i >= 0; i-- {
		h := hdrs[i]
		for end := len(h); end >= 0; {
			start := bytes.LastIndexByte(h[:end], ',') + 1
			part := bytes.TrimSpace(h[start:end])
			end = start - 1
			if len(part) == 0 {
				continue
			}
			a, ok := parseForwarded(part)
			if !ok {
				return client.String()
			}
			client = a
			if !s.trusted(a) {
				return a.String()
			}
		}
	}
	return client.String()
}

// trusted reports whether a is one of the trusted proxies.
func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseForwarded parses one X-Forwarded-For entry: an address, optionally
// with a port ("1.2.3.4:5678", "[2001:db8::1]:443").
func parseForwarded(b []byte) (netip.Addr, bool) {
	if len(b) > 64 {
		return netip.Addr{}, false
	}
	s := string(b)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}

// addrOf is the IP of a socket address.
func addrOf(a net.Addr) netip.Addr {
	switch x := a.(type) {
	case *net.TCPAddr:
		ip, ok := netip.AddrFromSlice(x.IP)
		if !ok {
			return netip.Addr{}
		}
		return ip.Unmap()
	case *net.UDPAddr:
		ip, _ := netip.AddrFromSlice(x.IP)
		return ip.Unmap()
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}
