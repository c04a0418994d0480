package storage

import (
	"testing"
	"time"

	"github.com/chelseru/chelseru"
)

func TestMessages(t *testing.T) {
	db := openTest(t, Options{})
	now := time.Now().UTC()
	m := chelseru.Message{
		UserID: 4, Mobile: mobile, Text: "سلام، کد شما ۱۲۳۴", TemplateID: 12, Service: "KAVENEGAR_COM",
		Status: chelseru.MessagePending, CreatedAt: now, UpdatedAt: now,
	}
	created, err := db.CreateMessage(ctx, m)
	wantErr(t, err, nil)
	if created.ID < 1 {
		t.Fatalf("id = %d", created.ID)
	}
	got, err := db.GetMessage(ctx, created.ID)
	wantErr(t, err, nil)
	if got.Text != m.Text || got.Status != m.Status || got.UserID != 4 || !got.CreatedAt.Equal(now) || got.TemplateID != 12 {
		t.Errorf("got %+v", got)
	}
	upd := got
	upd.Status, upd.ProviderMessageID, upd.UpdatedAt = chelseru.MessageFailed, "", now.Add(time.Second)
	upd.ErrorClass, upd.ErrorCode, upd.ErrorText = "business", "411", "invalid receptor"
	wantErr(t, db.UpdateMessage(ctx, upd), nil)
	got, err = db.GetMessage(ctx, created.ID)
	wantErr(t, err, nil)
	if got.Status != chelseru.MessageFailed || got.ErrorCode != "411" || got.ErrorText != "invalid receptor" || !got.UpdatedAt.Equal(upd.UpdatedAt) {
		t.Errorf("after update: %+v", got)
	}
	second, err := db.CreateMessage(ctx, m)
	wantErr(t, err, nil)
	if second.ID <= created.ID {
		t.Errorf("second id %d not after %d", second.ID, created.ID)
	}
	tests := []struct {
		name string
		err  error
	}{
		{"get unknown", func() error { _, err := db.GetMessage(ctx, second.ID+1); return err }()},
		{"update unknown", db.UpdateMessage(ctx, chelseru.Message{ID: second.ID + 1})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantErr(t, tt.err, chelseru.ErrNotFound) })
	}
	if _, err := db.GetMessage(ctx, second.ID+1); err == nil {
		t.Error("update of an unknown id created it")
	}
}
