/*
 * ECHO_C: an example chelseru SMS provider plugin written in C, proving the
 * plugin ABI (docs/plugin-abi.md) is language-neutral. Build:
 *
 *   clang --target=wasm32-wasi -O2 -mexec-model=reactor -o echo_c.wasm src/echo.c
 *
 * It speaks a tiny "echo" HTTP API:
 *
 *   POST {ECHO_C_BASE_URL}/send
 *   Authorization: Bearer {ECHO_C_TOKEN}
 *   Content-Type: application/json
 *   {"to":"09…","text":"…"}   or   {"to":"09…","template":7,"vars":["…"]}
 *
 * answered by 200 {"id":"…"} or an error status with {"error":"…"}.
 *
 * Like every plugin it is sans-I/O: chelseru_send returns the request to
 * make, the host makes it and hands the answer to chelseru_response, which
 * returns the result. Inputs and outputs are the ABI's JSON, with HTTP
 * bodies raw after it (their length in "body_len"); this file has its own
 * small, bounds-checked JSON reader and writer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ABI_VERSION 1
#define MAX_INPUT (64 << 20)
#define MAX_DEPTH 64

/* ---- host import ---- */

__attribute__((import_module("chelseru"), import_name("log")))
extern void host_log(int32_t level, const char *ptr, int32_t len);

static void log_line(int32_t level, const char *s) { host_log(level, s, (int32_t)strlen(s)); }

/* ---- growable byte buffers ---- */

typedef struct {
	char *p;
	size_t len, cap;
	int oom; /* an allocation failed: the content is incomplete */
} buf;

static void buf_reserve(buf *b, size_t n) {
	if (b->oom || b->len + n <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + n)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = 1;
		return;
	}
	b->p = p;
	b->cap = cap;
}

/* utf8_cut returns the longest prefix of s[0:n] of at most max bytes that
   does not split a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t n, size_t max) {
	if (n <= max)
		return n;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

static void buf_putn(buf *b, const char *s, size_t n) {
	buf_reserve(b, n);
	if (b->oom)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void buf_puts(buf *b, const char *s) { buf_putn(b, s, strlen(s)); }
static void buf_putc(buf *b, char c) { buf_putn(b, &c, 1); }

static void buf_int(buf *b, int64_t v) {
	char tmp[24];
	int i = sizeof tmp;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[--i] = '-';
	buf_putn(b, tmp + i, sizeof tmp - i);
}

/* buf_json appends s (n bytes) as a quoted JSON string. */
static void buf_json(buf *b, const char *s, size_t n) {
	static const char hex[] = "0123456789abcdef";
	buf_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': buf_puts(b, "\\\""); break;
		case '\\': buf_puts(b, "\\\\"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		case '\t': buf_puts(b, "\\t"); break;
		default:
			if (c < 0x20) {
				char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
				buf_putn(b, e, 6);
			} else {
				buf_putc(b, (char)c);
			}
		}
	}
	buf_putc(b, '"');
}

/* ---- a small strict JSON reader ---- */

typedef struct {
	const char *p, *end;
	int err;
} reader;

static void skip_ws(reader *r) {
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int peek(reader *r) {
	skip_ws(r);
	return r->p < r->end ? (unsigned char)*r->p : -1;
}

static int eat(reader *r, char c) {
	if (peek(r) == c) {
		r->p++;
		return 1;
	}
	return 0;
}

static int hexval(int c) {
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static int read_hex4(reader *r, uint32_t *out) {
	if (r->end - r->p < 4)
		return 0;
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hexval((unsigned char)r->p[i]);
		if (h < 0)
			return 0;
		v = v << 4 | (uint32_t)h;
	}
	r->p += 4;
	*out = v;
	return 1;
}

static void put_utf8(buf *b, uint32_t cp) {
	char u[4];
	if (cp < 0x80) {
		u[0] = (char)cp;
		buf_putn(b, u, 1);
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3F));
		buf_putn(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		buf_putn(b, u, 3);
	} else {
		u[0] = (char)(0xF0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		buf_putn(b, u, 4);
	}
}

/* read_string decodes a JSON string into dst (which may be NULL to skip). */
static void read_string(reader *r, buf *dst) {
	if (!eat(r, '"')) {
		r->err = 1;
		return;
	}
	while (r->p < r->end) {
		unsigned char c = (unsigned char)*r->p++;
		if (c == '"')
			return;
		if (c < 0x20) {
			r->err = 1;
			return;
		}
		if (c != '\\') {
			if (dst)
				buf_putc(dst, (char)c);
			continue;
		}
		if (r->p >= r->end)
			break;
		char e = *r->p++;
		uint32_t cp;
		switch (e) {
		case '"': case '\\': case '/': cp = (uint32_t)e; break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if (!read_hex4(r, &cp)) {
				r->err = 1;
				return;
			}
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				uint32_t lo;
				const char *save = r->p;
				if (r->end - r->p >= 6 && r->p[0] == '\\' && r->p[1] == 'u' && (r->p += 2, read_hex4(r, &lo)) &&
				    lo >= 0xDC00 && lo <= 0xDFFF) {
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				} else {
					r->p = save;
					cp = 0xFFFD;
				}
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				cp = 0xFFFD;
			}
			break;
		default:
			r->err = 1;
			return;
		}
		if (dst)
			put_utf8(dst, cp);
	}
	r->err = 1; /* unterminated */
}

/* read_int reads an integer number (no fraction or exponent). */
static int64_t read_int(reader *r) {
	skip_ws(r);
	int neg = r->p < r->end && *r->p == '-';
	if (neg)
		r->p++;
	if (r->p >= r->end || *r->p < '0' || *r->p > '9') {
		r->err = 1;
		return 0;
	}
	uint64_t v = 0;
	while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
		if (v > (uint64_t)INT64_MAX / 10) {
			r->err = 1;
			return 0;
		}
		v = v * 10 + (uint64_t)(*r->p++ - '0');
	}
	if (r->p < r->end && (*r->p == '.' || *r->p == 'e' || *r->p == 'E')) {
		r->err = 1;
		return 0;
	}
	if (v > (uint64_t)INT64_MAX) {
		r->err = 1;
		return 0;
	}
	return neg ? -(int64_t)v : (int64_t)v;
}

static void skip_value(reader *r, int depth);

static int lit(reader *r, const char *s) {
	size_t n = strlen(s);
	if ((size_t)(r->end - r->p) >= n && memcmp(r->p, s, n) == 0) {
		r->p += n;
		return 1;
	}
	return 0;
}

static void skip_value(reader *r, int depth) {
	if (depth > MAX_DEPTH) {
		r->err = 1;
		return;
	}
	int c = peek(r);
	if (c == '"') {
		read_string(r, NULL);
	} else if (c == '{') {
		r->p++;
		if (eat(r, '}'))
			return;
		do {
			read_string(r, NULL);
			if (r->err || !eat(r, ':')) {
				r->err = 1;
				return;
			}
			skip_value(r, depth + 1);
		} while (!r->err && eat(r, ','));
		if (!r->err && !eat(r, '}'))
			r->err = 1;
	} else if (c == '[') {
		r->p++;
		if (eat(r, ']'))
			return;
		do
			skip_value(r, depth + 1);
		while (!r->err && eat(r, ','));
		if (!r->err && !eat(r, ']'))
			r->err = 1;
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		if (*r->p == '-')
			r->p++;
		while (r->p < r->end && strchr("0123456789.eE+-", *r->p))
			r->p++;
	} else if (!(lit(r, "true") || lit(r, "false") || lit(r, "null"))) {
		r->err = 1;
	}
}

/* key_is compares a decoded key with a C string. */
static int key_is(const buf *k, const char *s) { return k->len == strlen(s) && memcmp(k->p, s, k->len) == 0; }

/* for_members calls fn(key, reader, ctx) for each member of an object; fn
   must consume the value. It returns 0 on malformed input. */
static int for_members(reader *r, void (*fn)(const buf *, reader *, void *), void *ctx) {
	buf key = {0};
	if (!eat(r, '{')) {
		r->err = 1;
		return 0;
	}
	if (!eat(r, '}')) {
		do {
			key.len = 0;
			read_string(r, &key);
			if (r->err || !eat(r, ':')) {
				r->err = 1;
				break;
			}
			if (peek(r) == 'n' && lit(r, "null"))
				continue; /* null is "absent" */
			fn(&key, r, ctx);
		} while (!r->err && eat(r, ','));
		if (!r->err && !eat(r, '}'))
			r->err = 1;
	}
	free(key.p);
	return !r->err && !key.oom;
}

/* ---- plugin state ---- */

static buf in;      /* chelseru_alloc's buffer */
static buf out;     /* the last output */
static buf token;   /* ECHO_C_TOKEN */
static buf base;    /* ECHO_C_BASE_URL without a trailing '/' */
static int configured;

static uint64_t packed(void) {
	if (out.oom || out.len == 0)
		return 0;
	return (uint64_t)(uintptr_t)out.p << 32 | (uint64_t)out.len;
}

__attribute__((export_name("chelseru_abi_version"))) int32_t plugin_abi_version(void) { return ABI_VERSION; }

__attribute__((export_name("chelseru_alloc"))) uint32_t plugin_alloc(int32_t size) {
	if (size < 0 || size > MAX_INPUT)
		return 0;
	if (size == 0)
		size = 1;
	if ((size_t)size > in.cap) {
		free(in.p);
		in.p = malloc((size_t)size);
		in.cap = in.p ? (size_t)size : 0;
		if (!in.p)
			return 0;
	}
	return (uint32_t)(uintptr_t)in.p;
}

/* input checks that (ptr, n) lies in the chelseru_alloc buffer. */
static int input(uint32_t ptr, uint32_t n, reader *r) {
	if (!in.p || ptr != (uint32_t)(uintptr_t)in.p || n > in.cap)
		return 0;
	r->p = in.p;
	r->end = in.p + n;
	r->err = 0;
	return 1;
}

/* The manifest is constant JSON (docs/plugin-abi.md § 4). A provider whose
 * templates take named parameters would add its documented names, e.g.
 * "\"template_params\":[\"CODE\"]", and read the Message's params: the host
 * fills them from these when the operator's SMS.TEMPLATE_PARAMS names none. */
__attribute__((export_name("chelseru_manifest"))) uint64_t plugin_manifest(void) {
	out.len = 0;
	buf_puts(&out,
	         "{\"abi\":1,\"name\":\"ECHO_C\",\"version\":\"1.0.0\","
	         "\"description\":\"Example provider written in C: posts each SMS to a small echo HTTP API.\","
	         "\"settings\":["
	         "{\"key\":\"ECHO_C_TOKEN\",\"required\":true,\"secret\":true,\"description\":\"Bearer token of the echo API.\"},"
	         "{\"key\":\"ECHO_C_BASE_URL\",\"required\":true,\"description\":\"Base URL of the echo API.\"}],"
	         "\"text\":true,\"templates\":true}");
	return packed();
}

/* ---- configure ---- */

static void settings_member(const buf *key, reader *r, void *ctx) {
	(void)ctx;
	if (peek(r) != '"') {
		skip_value(r, 1);
		return;
	}
	if (key_is(key, "ECHO_C_TOKEN")) {
		token.len = 0;
		read_string(r, &token);
	} else if (key_is(key, "ECHO_C_BASE_URL")) {
		base.len = 0;
		read_string(r, &base);
	} else {
		read_string(r, NULL);
	}
}

static void configure_member(const buf *key, reader *r, void *ctx) {
	if (key_is(key, "settings"))
		for_members(r, settings_member, ctx);
	else
		skip_value(r, 1);
}

static int has_prefix(const buf *b, const char *s) { return b->len >= strlen(s) && memcmp(b->p, s, strlen(s)) == 0; }

__attribute__((export_name("chelseru_configure"))) uint64_t plugin_configure(uint32_t ptr, uint32_t n) {
	reader r;
	const char *err = NULL;
	configured = 0;
	token.len = base.len = 0;
	if (!input(ptr, n, &r) || !for_members(&r, configure_member, NULL) || peek(&r) != -1)
		err = "configure input is not valid JSON";
	else if (token.len == 0)
		err = "ECHO_C_TOKEN is required";
	else if (base.len == 0)
		err = "ECHO_C_BASE_URL is required";
	else if (!has_prefix(&base, "http://") && !has_prefix(&base, "https://"))
		err = "ECHO_C_BASE_URL: not an http(s) URL";
	while (!err && base.len > 0 && base.p[base.len - 1] == '/')
		base.len--;
	out.len = 0;
	if (err) {
		buf_puts(&out, "{\"error\":");
		buf_json(&out, err, strlen(err));
		buf_putc(&out, '}');
	} else {
		configured = 1;
		buf_puts(&out, "{}");
	}
	return packed();
}

/* ---- send ---- */

typedef struct {
	buf to, text, body;
	int64_t template_id;
	int nvars;
} message;

static void vars_member(reader *r, message *m) {
	/* "vars": an array of strings, appended to the request body as JSON. */
	if (!eat(r, '[')) {
		r->err = 1;
		return;
	}
	buf v = {0};
	buf_puts(&m->body, ",\"vars\":[");
	if (!eat(r, ']')) {
		do {
			v.len = 0;
			read_string(r, &v);
			if (m->nvars++)
				buf_putc(&m->body, ',');
			buf_json(&m->body, v.p, v.len);
		} while (!r->err && eat(r, ','));
		if (!r->err && !eat(r, ']'))
			r->err = 1;
	}
	buf_putc(&m->body, ']');
	free(v.p);
}

static void message_member(const buf *key, reader *r, void *ctx) {
	message *m = ctx;
	if (key_is(key, "to"))
		read_string(r, &m->to);
	else if (key_is(key, "text"))
		read_string(r, &m->text);
	else if (key_is(key, "template_id"))
		m->template_id = read_int(r);
	else if (key_is(key, "vars"))
		vars_member(r, m);
	else
		skip_value(r, 1);
}

static uint64_t result_failure(const char *cls, const char *code, const char *text, size_t text_len) {
	out.len = 0;
	buf_puts(&out, "{\"result\":{\"ok\":false,\"class\":\"");
	buf_puts(&out, cls);
	buf_puts(&out, "\",\"code\":");
	buf_json(&out, code, strlen(code));
	buf_puts(&out, ",\"text\":");
	buf_json(&out, text, text_len);
	buf_puts(&out, "}}");
	return packed();
}

static void free_message(message *m) {
	free(m->to.p);
	free(m->text.p);
	free(m->body.p);
}

__attribute__((export_name("chelseru_send"))) uint64_t plugin_send(uint32_t ptr, uint32_t n) {
	reader r;
	message m = {0};
	uint64_t res;
	if (!input(ptr, n, &r) || !for_members(&r, message_member, &m) || peek(&r) != -1) {
		free_message(&m);
		return result_failure("permanent", "bad_input", "the message is not valid ABI JSON", 33);
	}
	if (!configured) {
		res = result_failure("permanent", "not_configured", "the plugin was not configured", 29);
	} else if (m.to.len == 0) {
		res = result_failure("bad_request", "to", "no receiver", 11);
	} else if (m.template_id == 0 && m.text.len == 0) {
		res = result_failure("bad_request", "text", "empty message text", 18);
	} else {
		/* The echo API's body: {"to":…,"text":…} or {"to":…,"template":N,"vars":[…]}. */
		buf body = {0};
		buf_puts(&body, "{\"to\":");
		buf_json(&body, m.to.p, m.to.len);
		if (m.template_id != 0) {
			buf_puts(&body, ",\"template\":");
			buf_int(&body, m.template_id);
			buf_putn(&body, m.body.p, m.body.len); /* ,"vars":[…] when present */
		} else {
			buf_puts(&body, ",\"text\":");
			buf_json(&body, m.text.p, m.text.len);
		}
		buf_putc(&body, '}');

		out.len = 0;
		buf_puts(&out, "{\"request\":{\"method\":\"POST\",\"url\":");
		buf url = {0};
		buf_putn(&url, base.p, base.len);
		buf_puts(&url, "/send");
		buf_json(&out, url.p, url.len);
		buf_puts(&out, ",\"headers\":[{\"name\":\"Content-Type\",\"value\":\"application/json\"},"
		               "{\"name\":\"Authorization\",\"value\":");
		buf auth = {0};
		buf_puts(&auth, "Bearer ");
		buf_putn(&auth, token.p, token.len);
		buf_json(&out, auth.p, auth.len);
		/* The body travels raw after the Action's JSON, its length in body_len. */
		buf_puts(&out, "}],\"body_len\":");
		buf_int(&out, (int64_t)body.len);
		buf_puts(&out, "},\"state\":\"echo\"}");
		buf_putn(&out, body.p, body.len);
		int oom = body.oom || url.oom || auth.oom;
		free(body.p);
		free(url.p);
		free(auth.p);
		res = oom ? 0 : packed();
		log_line(1, m.template_id ? "ECHO_C: sending a template message" : "ECHO_C: sending a text message");
	}
	free_message(&m);
	return res;
}

/* ---- response ---- */

typedef struct {
	int64_t status;
	int64_t body_len; /* the body is the last body_len bytes of the input */
} response;

static void response_member(const buf *key, reader *r, void *ctx) {
	response *p = ctx;
	if (key_is(key, "status"))
		p->status = read_int(r);
	else if (key_is(key, "body_len"))
		p->body_len = read_int(r);
	else
		skip_value(r, 1);
}

typedef struct {
	buf id, error;
} answer;

static void answer_member(const buf *key, reader *r, void *ctx) {
	answer *a = ctx;
	if (key_is(key, "id") && peek(r) == '"')
		read_string(r, &a->id);
	else if (key_is(key, "error") && peek(r) == '"')
		read_string(r, &a->error);
	else
		skip_value(r, 1);
}

__attribute__((export_name("chelseru_response"))) uint64_t plugin_response(uint32_t ptr, uint32_t n) {
	reader r;
	response p = {0};
	answer a = {0};
	uint64_t res;
	/* The input is the Response's JSON immediately followed by body_len raw
	   body bytes: after the object, exactly body_len bytes must be left. */
	if (!input(ptr, n, &r) || !for_members(&r, response_member, &p) || p.body_len < 0 ||
	    p.body_len != (int64_t)(r.end - r.p))
		return result_failure("permanent", "bad_input", "the response is not valid ABI input", 35);
	reader br = {r.p, r.end, 0};
	int json = p.body_len > 0 && for_members(&br, answer_member, &a) && peek(&br) == -1;
	if (p.status == 200 && json && a.id.len > 0) {
		out.len = 0;
		buf_puts(&out, "{\"result\":{\"ok\":true,\"message_id\":");
		buf_json(&out, a.id.p, utf8_cut(a.id.p, a.id.len, 128));
		buf_puts(&out, "}}");
		res = packed();
	} else {
		const char *cls = "permanent";
		if (p.status == 401 || p.status == 403)
			cls = "bad_credentials";
		else if (p.status == 402)
			cls = "out_of_credit";
		else if (p.status == 429)
			cls = "rate_limited";
		else if (p.status == 400 || p.status == 422)
			cls = "bad_request";
		else if ((p.status >= 500 && p.status <= 599) || p.status == 200)
			cls = "temporary";
		char code[32] = "http_";
		buf c = {0};
		buf_int(&c, p.status);
		memcpy(code + 5, c.p, c.len < 20 ? c.len : 20);
		code[5 + (c.len < 20 ? c.len : 20)] = 0;
		free(c.p);
		if (p.status == 200)
			strcpy(code, "bad_response");
		if (json && a.error.len > 0) {
			res = result_failure(cls, code, a.error.p, utf8_cut(a.error.p, a.error.len, 256));
		} else {
			const char *t = "the echo API gave no usable answer";
			res = result_failure(cls, code, t, strlen(t));
		}
	}
	free(a.id.p);
	free(a.error.p);
	return res;
}
