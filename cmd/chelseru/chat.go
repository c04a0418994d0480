package main

import (
	"log/slog"

	"github.com/chelseru/chelseru/chat"
	"github.com/chelseru/chelseru/config"
	"github.com/chelseru/chelseru/host"
	"github.com/chelseru/chelseru/storage"
)

// newChat wires the chat logic: rooms and messages in storage, fan-out in
// this process (chat.LocalBroker).
func newChat(cfg *config.Config, db *storage.DB, log *slog.Logger) (*chat.Service, error) {
	return chat.New(chat.Options{MaxMessageChars: cfg.Chat.MaxMessageChars}, chat.Deps{
		Rooms:  db,
		Users:  db,
		Broker: chat.NewLocalBroker(),
		Logger: log.With("component", "chat"),
	})
}

// chatOptions is the CHAT section (and SERVER.ALLOWED_ORIGINS) for the host.
func chatOptions(cfg *config.Config) host.ChatOptions {
	return host.ChatOptions{
		AllowedOrigins:        cfg.Server.AllowedOrigins,
		MaxConnectionsPerUser: cfg.Chat.MaxConnectionsPerUser,
		PingInterval:          cfg.Chat.PingInterval,
		IdleTimeout:           cfg.Chat.IdleTimeout,
		WriteTimeout:          cfg.Chat.WriteTimeout,
		SendQueue:             cfg.Chat.SendQueue,
	}
}
