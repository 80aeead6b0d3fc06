package gateway

import (
	"log/slog"
	"net/http"
	"time"
)

// Server timeouts and sizes for a public listener. Go's http.Server has
// none by default, which lets a slow client hold a connection forever.
const (
	ReadHeaderTimeout = 10 * time.Second
	// ReadTimeout bounds reading a whole request, body included; large
	// uploads need a fast enough client.
	ReadTimeout = 5 * time.Minute
	// IdleTimeout closes keep-alive connections idle this long.
	IdleTimeout = 2 * time.Minute
	// WriteTimeout bounds writing one answer, counted from when the app
	// finished (apps run up to their own timeout before that).
	WriteTimeout = time.Minute
	// lingerTime is how long net/http may go on reading a request body the
	// app did not read, after the answer, before the connection closes.
	lingerTime = time.Second
	// MaxURLBytes caps the request URI (414 past it); longer request lines
	// up to MaxHeaderBytes are read, then refused.
	MaxURLBytes = 8 << 10
	// MaxHeaderBytes caps the request line and headers (431 past it).
	MaxHeaderBytes = 64 << 10
)

// NewServer returns an http.Server for h with the timeouts and limits
// above. There is no fixed WriteTimeout: the gateway sets a write deadline
// per request from the app's own timeout.
func NewServer(addr string, h http.Handler, logger *slog.Logger) *http.Server {
	s := &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
	}
	if logger != nil {
		s.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	}
	return s
}
