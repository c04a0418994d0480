package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	domain "github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/config"
	"github.com/chelseru/chelseru/storage"
)

// Limits on an import: a dump larger than this, or with more records, is
// refused before anything is written.
const (
	maxDumpBytes   = 1 << 30
	maxDumpRecords = 10_000_000
)

// djangoRecord is one object of `manage.py dumpdata` output.
type djangoRecord struct {
	Model  string                     `json:"model"`
	PK     json.RawMessage            `json:"pk"`
	Fields map[string]json.RawMessage `json:"fields"`
}

// djangoUsername is the original package's user name, G{group}-{mobile}.
var djangoUsername = regexp.MustCompile(`^G(-?\d{1,18})-(.+)$`)

// importReport counts what an import did.
type importReport struct {
	usersNew, usersKept, usersInactive       int
	sessionsNew, sessionsKept, sessionsStale int
	smsNew, smsKept                          int
	otpSkipped                               int
	chat                                     chatReport
	unknown                                  map[string]int
}

// cmdImportDjango imports a django-chelseru dumpdata file into the data
// folder (which no server may have open): users (under their Django ids),
// sessions, the SMS log, and chat rooms and messages. It is idempotent.
func cmdImportDjango(args []string, stdout io.Writer) error {
	fs := newFlags("import-django")
	path := fs.String("config", "", "config file (YAML): import into its SERVER.DATA_DIR")
	dataDir := fs.String("data-dir", "", "data folder to import into (default: the config's)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("import-django: %v: %w", err, errUsage)
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("import-django: give one dumpdata FILE.json: %w", errUsage)
	}
	cfg := config.Default()
	if *path != "" {
		var err error
		if cfg, err = config.Load(*path); err != nil {
			return err
		}
	}
	if *dataDir != "" {
		cfg.Server.DataDir = *dataDir
	}
	recs, err := readDump(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("import-django: %s: %w", fs.Arg(0), err)
	}
	plan, rep, err := planImport(recs, time.Now(), cfg.JWT.RefreshTokenLifetime)
	if err != nil {
		return fmt.Errorf("import-django: %s: %w", fs.Arg(0), err)
	}
	if err := os.MkdirAll(cfg.Server.DataDir, 0o700); err != nil {
		return fmt.Errorf("import-django: SERVER.DATA_DIR: %w", unwrapOp(err))
	}
	db, err := storage.Open(filepath.Join(cfg.Server.DataDir, dbDirName), offlineOptions(cfg))
	if err != nil {
		return fmt.Errorf("import-django: SERVER.DATA_DIR: storage: %w", err)
	}
	err = plan.apply(context.Background(), db, &rep, time.Now())
	if cerr := db.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("closing storage: %w", cerr)
	}
	if err != nil {
		return fmt.Errorf("import-django: %w", err)
	}
	rep.print(stdout)
	return nil
}

// readDump reads and checks the dumpdata JSON array.
func readDump(path string) ([]djangoRecord, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the caller names the file
		}
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > maxDumpBytes {
		return nil, fmt.Errorf("%d bytes is more than the %d an import reads", fi.Size(), maxDumpBytes)
	}
	dec := json.NewDecoder(io.LimitReader(f, maxDumpBytes))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, errors.New("not dumpdata output: want a JSON array of {model, pk, fields} objects")
	}
	var recs []djangoRecord
	for dec.More() {
		if len(recs) >= maxDumpRecords {
			return nil, fmt.Errorf("more than %d records", maxDumpRecords)
		}
		var r djangoRecord
		if err := dec.Decode(&r); err != nil {
			return nil, fmt.Errorf("record %d: malformed: %v", len(recs)+1, err)
		}
		if r.Model == "" || r.Fields == nil {
			return nil, fmt.Errorf("record %d: malformed: want model and fields", len(recs)+1)
		}
		r.Model = strings.ToLower(r.Model)
		recs = append(recs, r)
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("malformed after record %d: %v", len(recs), err)
	}
	return recs, nil
}

// importPlan is a checked dump, ready to write.
type importPlan struct {
	users    []domain.User
	sessions []plannedSession
	sms      []plannedSMS
	rooms    []plannedRoom
	chat     []plannedChat // in timestamp order
}

type plannedSession struct {
	pk int64
	s  domain.Session
}

type plannedSMS struct {
	pk int64
	m  domain.Message
}

// djangoApps are the app labels the original package's models may carry.
var djangoApps = map[string]bool{"drfchelseru": true, "django_chelseru": true, "chelseru": true}

// appLabel is the app part of "app_label.model".
func appLabel(m string) string {
	if i := strings.IndexByte(m, '.'); i >= 0 {
		return m[:i]
	}
	return ""
}

// modelName is the model part of "app_label.model".
func modelName(m string) string {
	if i := strings.LastIndexByte(m, '.'); i >= 0 {
		return m[i+1:]
	}
	return m
}

// planImport checks every record and turns the dump into what to store.
// Refresh is REFRESH_TOKEN_LIFETIME: a session idle longer is not imported.
func planImport(recs []djangoRecord, now time.Time, refresh time.Duration) (importPlan, importReport, error) {
	rep := importReport{unknown: map[string]int{}}
	type profile struct {
		group  int64
		mobile string
	}
	profiles := map[int64]profile{} // auth.user pk -> mobile profile
	var authUsers, sessions, sms, chatRooms, chatMsgs []djangoRecord
	for i, r := range recs {
		switch {
		case r.Model == "auth.user":
			authUsers = append(authUsers, r)
		case strings.HasPrefix(r.Model, "auth."), strings.HasPrefix(r.Model, "contenttypes."), strings.HasPrefix(r.Model, "sessions."), strings.HasPrefix(r.Model, "admin."):
			rep.unknown[r.Model]++
		case !djangoApps[appLabel(r.Model)]:
			rep.unknown[r.Model]++
		default:
			switch modelName(r.Model) {
			case "user", "profile", "mobileuser":
				u, err := fieldInt(r, "user")
				if err != nil {
					return importPlan{}, rep, fmt.Errorf("record %d (%s): %w", i+1, r.Model, err)
				}
				g, _ := fieldIntOr(r, "group", 0)
				m := fieldStr(r, "mobile", "mobile_number", "phone", "phone_number")
				mobile, ok := domain.NormalizeMobile(m)
				if !ok {
					return importPlan{}, rep, fmt.Errorf("record %d (%s): mobile %q is not an Iranian mobile number", i+1, r.Model, m)
				}
				profiles[u] = profile{g, mobile}
			case "session", "usersession":
				sessions = append(sessions, r)
			case "messagesms", "sms", "smsmessage", "smslog":
				sms = append(sms, r)
			case "otpcode", "otp":
				rep.otpSkipped++
			case "chatroom", "room":
				chatRooms = append(chatRooms, r)
			case "message", "chatmessage":
				chatMsgs = append(chatMsgs, r)
			default:
				rep.unknown[r.Model]++
			}
		}
	}
	var plan importPlan
	known := map[int64]bool{}
	byMobile := map[string]int64{}
	for i, r := range authUsers {
		pk, err := recordPK(r)
		if err != nil {
			return importPlan{}, rep, fmt.Errorf("auth.user record %d: %w", i+1, err)
		}
		username := fieldStr(r, "username")
		p, ok := profiles[pk]
		if !ok {
			m := djangoUsername.FindStringSubmatch(username)
			if m == nil {
				return importPlan{}, rep, fmt.Errorf("auth.user %d: username %q is not G{group}-{mobile} and no mobile record names this user", pk, username)
			}
			g, _ := strconv.ParseInt(m[1], 10, 64)
			mobile, ok := domain.NormalizeMobile(m[2])
			if !ok {
				return importPlan{}, rep, fmt.Errorf("auth.user %d: username %q: %q is not an Iranian mobile number", pk, username, m[2])
			}
			p = profile{g, mobile}
		}
		if active, err := fieldBoolOr(r, "is_active", true); err != nil {
			return importPlan{}, rep, fmt.Errorf("auth.user %d: %w", pk, err)
		} else if !active {
			rep.usersInactive++
			continue
		}
		k := domain.Username(p.group, p.mobile)
		if other, dup := byMobile[k]; dup {
			return importPlan{}, rep, fmt.Errorf("auth.user %d and %d are both %s", other, pk, k)
		}
		byMobile[k] = pk
		joined, _ := fieldTime(r, "date_joined")
		plan.users = append(plan.users, domain.User{ID: pk, Group: p.group, Mobile: p.mobile, CreatedAt: joined})
		known[pk] = true
	}
	for i, r := range sessions {
		pk, err := recordPK(r)
		if err != nil {
			return importPlan{}, rep, fmt.Errorf("session record %d: %w", i+1, err)
		}
		u, err := fieldInt(r, "user")
		if err != nil {
			return importPlan{}, rep, fmt.Errorf("%s %d: %w", r.Model, pk, err)
		}
		if !known[u] {
			rep.sessionsStale++ // its user was inactive or not in the dump
			continue
		}
		created, _ := fieldTime(r, "created_at", "created")
		seen, _ := fieldTime(r, "last_seen", "last_activity", "updated_at")
		if seen.Before(created) {
			seen = created
		}
		exp := seen.Add(refresh)
		if !exp.After(now) {
			rep.sessionsStale++
			continue
		}
		plan.sessions = append(plan.sessions, plannedSession{pk, domain.Session{
			UserID: u, UserAgent: clip(fieldStr(r, "user_agent"), 512), Device: clip(fieldStr(r, "device"), 128),
			Browser: clip(fieldStr(r, "browser"), 128), IP: clip(fieldStr(r, "ip_address", "ip"), 64),
			CreatedAt: created, LastSeen: seen, ExpiresAt: exp,
		}})
	}
	for i, r := range sms {
		pk, err := recordPK(r)
		if err != nil {
			return importPlan{}, rep, fmt.Errorf("SMS record %d: %w", i+1, err)
		}
		m := domain.Message{
			Mobile: fieldStr(r, "mobile_number", "mobile", "receiver", "to"),
			Text:   clip(fieldStr(r, "message_text", "text", "message"), 4096),
			Status: domain.MessageSent,
		}
		if n, ok := domain.NormalizeMobile(m.Mobile); ok {
			m.Mobile = n
		}
		m.Mobile = clip(m.Mobile, 64)
		m.TemplateID, _ = fieldIntOr(r, "template_id", 0)
		if u, err := fieldIntOr(r, "user", 0); err == nil && known[u] {
			m.UserID = u
		}
		m.Service = strings.ToUpper(clip(fieldStr(r, "sms_service", "service", "provider"), 64))
		switch st := strings.ToLower(fieldStr(r, "status")); {
		case st == "" || st == "sent" || st == "ok" || st == "success" || st == "200" || st == "true":
		case st == "pending":
			m.Status = domain.MessagePending
		default:
			m.Status, m.ErrorText = domain.MessageFailed, clip(st, 256)
		}
		m.CreatedAt, _ = fieldTime(r, "created_at", "created", "sent_at")
		m.UpdatedAt = m.CreatedAt
		plan.sms = append(plan.sms, plannedSMS{pk, m})
	}
	var err error
	if plan.rooms, plan.chat, err = planChat(chatRooms, chatMsgs, known, now, &rep.chat); err != nil {
		return importPlan{}, rep, err
	}
	return plan, rep, nil
}

// apply writes the plan: users first (under their Django ids), then the
// user id sequence moved past them, then sessions, the SMS log and chat.
func (p importPlan) apply(ctx context.Context, db *storage.DB, rep *importReport, now time.Time) error {
	var maxID int64
	for _, u := range p.users {
		created, err := db.ImportUser(ctx, u, now)
		if err != nil {
			return err
		}
		if created {
			rep.usersNew++
		} else {
			rep.usersKept++
		}
		maxID = max(maxID, u.ID)
	}
	if err := db.ReserveUserIDs(ctx, maxID); err != nil {
		return err
	}
	for _, s := range p.sessions {
		created, err := db.ImportSession(ctx, s.pk, s.s)
		if err != nil {
			return err
		}
		if created {
			rep.sessionsNew++
		} else {
			rep.sessionsKept++
		}
	}
	for _, m := range p.sms {
		created, err := db.ImportMessage(ctx, m.pk, m.m)
		if err != nil {
			return err
		}
		if created {
			rep.smsNew++
		} else {
			rep.smsKept++
		}
	}
	return applyChat(ctx, db, p.rooms, p.chat, &rep.chat)
}

// print writes the report, one line per kind.
func (r importReport) print(w io.Writer) {
	fmt.Fprintf(w, "users: %d imported, %d already there, %d inactive (not imported)\n", r.usersNew, r.usersKept, r.usersInactive)
	fmt.Fprintf(w, "sessions: %d imported, %d already there, %d expired or of users not imported\n", r.sessionsNew, r.sessionsKept, r.sessionsStale)
	fmt.Fprintf(w, "sms log: %d imported, %d already there\n", r.smsNew, r.smsKept)
	fmt.Fprintf(w, "one-time codes: %d skipped (short-lived; users ask for a new one)\n", r.otpSkipped)
	r.chat.print(w)
	names := make([]string, 0, len(r.unknown))
	for n := range r.unknown {
		names = append(names, n)
	}
	sort.Strings(names)
	total := 0
	parts := make([]string, len(names))
	for i, n := range names {
		total += r.unknown[n]
		parts[i] = fmt.Sprintf("%s %d", n, r.unknown[n])
	}
	if total > 0 {
		fmt.Fprintf(w, "other models: %d records ignored (%s)\n", total, strings.Join(parts, ", "))
	}
}

// recordPK is the record's integer primary key.
func recordPK(r djangoRecord) (int64, error) {
	var n json.Number
	if err := json.Unmarshal(r.PK, &n); err != nil {
		return 0, fmt.Errorf("pk %s is not an integer", clip(string(r.PK), 40))
	}
	pk, err := n.Int64()
	if err != nil || pk <= 0 {
		return 0, fmt.Errorf("pk %s is not a positive integer", clip(string(r.PK), 40))
	}
	return pk, nil
}

// fieldStr is the first of names that is a JSON string in r's fields ("" if none).
func fieldStr(r djangoRecord, names ...string) string {
	for _, n := range names {
		var s string
		if raw, ok := r.Fields[n]; ok && json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	return ""
}

// fieldInt is the integer field name (a number or a numeric string).
func fieldInt(r djangoRecord, name string) (int64, error) {
	raw, ok := r.Fields[name]
	if !ok || string(raw) == "null" {
		return 0, fmt.Errorf("no %s", name)
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, fmt.Errorf("%s %s is not an integer", name, clip(string(raw), 40))
		}
		n = json.Number(s)
	}
	v, err := n.Int64()
	if err != nil {
		return 0, fmt.Errorf("%s %s is not an integer", name, clip(string(raw), 40))
	}
	return v, nil
}

// fieldIntOr is fieldInt with def for a missing or null field.
func fieldIntOr(r djangoRecord, name string, def int64) (int64, error) {
	if raw, ok := r.Fields[name]; !ok || string(raw) == "null" {
		return def, nil
	}
	return fieldInt(r, name)
}

// fieldBoolOr is the boolean field name, or def when missing or null.
func fieldBoolOr(r djangoRecord, name string, def bool) (bool, error) {
	raw, ok := r.Fields[name]
	if !ok || string(raw) == "null" {
		return def, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return false, fmt.Errorf("%s %s is not true or false", name, clip(string(raw), 40))
	}
	return b, nil
}

// fieldTime is the first of names that holds a time as dumpdata writes it
// (ISO 8601, with or without a zone: UTC assumed, as USE_TZ stores).
func fieldTime(r djangoRecord, names ...string) (time.Time, bool) {
	s := fieldStr(r, names...)
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// clip cuts s to at most n bytes without splitting a character.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
