//! ECHO_RUST: an example chelseru SMS provider plugin written in Rust with
//! the standard library only (no crates), built by Debian's rustc:
//!
//!   rustc --edition 2021 --target wasm32-wasi --crate-type cdylib -O \
//!         -C panic=abort -C strip=symbols -o echo_rust.wasm src/echo.rs
//!
//! (newer rustc names the target wasm32-wasip1). It speaks the same small
//! "echo" HTTP API as the C and Go examples:
//!
//!   POST {ECHO_RUST_BASE_URL}/send
//!   Authorization: Bearer {ECHO_RUST_TOKEN}
//!   Content-Type: application/json
//!   {"to":"09…","text":"…"}   or   {"to":"09…","template":7,"vars":["…"]}
//!
//! answered by 200 {"id":"…"} or an error status with {"error":"…"}.
//!
//! Like every plugin it is sans-I/O (docs/plugin-abi.md): chelseru_send
//! returns the request to make, the host makes it and hands the answer to
//! chelseru_response, which returns the result. Inputs and outputs are the
//! ABI's JSON, with HTTP bodies raw after it (their length in "body_len");
//! this file has its own small, bounds-checked JSON reader and writer.

use std::collections::BTreeMap;

const ABI_VERSION: i32 = 1;
const MAX_INPUT: i32 = 64 << 20;
const MAX_DEPTH: usize = 64;

// ---- host import ----

#[link(wasm_import_module = "chelseru")]
extern "C" {
    #[link_name = "log"]
    fn host_log(level: i32, ptr: *const u8, len: i32);
}

fn log_line(level: i32, s: &str) {
    unsafe { host_log(level, s.as_ptr(), s.len() as i32) }
}

// ---- a small strict JSON reader ----

enum Value {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<Value>),
    Obj(BTreeMap<String, Value>),
}

impl Value {
    fn get(&self, k: &str) -> Option<&Value> {
        match self {
            Value::Obj(m) => m.get(k),
            _ => None,
        }
    }
    fn str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    fn int(&self) -> Option<i64> {
        match self {
            Value::Num(n) => n.parse().ok(),
            _ => None,
        }
    }
}

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Reader<'a> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn lit(&mut self, s: &str) -> bool {
        if self.b[self.i..].starts_with(s.as_bytes()) {
            self.i += s.len();
            true
        } else {
            false
        }
    }
    fn hex4(&mut self) -> Option<u32> {
        let h = self.b.get(self.i..self.i + 4)?;
        let v = u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()?;
        self.i += 4;
        Some(v)
    }
    fn string(&mut self) -> Option<String> {
        if !self.eat(b'"') {
            return None;
        }
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = *self.b.get(self.i)?;
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).ok(),
                0..=0x1f => return None,
                b'\\' => {
                    let e = *self.b.get(self.i)?;
                    self.i += 1;
                    let cp = match e {
                        b'"' | b'\\' | b'/' => e as u32,
                        b'b' => 8,
                        b'f' => 12,
                        b'n' => 10,
                        b'r' => 13,
                        b't' => 9,
                        b'u' => {
                            let hi = self.hex4()?;
                            if (0xD800..0xDC00).contains(&hi) {
                                let save = self.i;
                                if self.lit("\\u") {
                                    match self.hex4() {
                                        Some(lo) if (0xDC00..0xE000).contains(&lo) => 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00),
                                        _ => {
                                            self.i = save;
                                            0xFFFD
                                        }
                                    }
                                } else {
                                    0xFFFD
                                }
                            } else if (0xDC00..0xE000).contains(&hi) {
                                0xFFFD
                            } else {
                                hi
                            }
                        }
                        _ => return None,
                    };
                    let ch = char::from_u32(cp).unwrap_or('\u{FFFD}');
                    let mut tmp = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                }
                _ => out.push(c),
            }
        }
    }
    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.string().map(Value::Str),
            b'{' => {
                self.i += 1;
                let mut m = BTreeMap::new();
                if self.eat(b'}') {
                    return Some(Value::Obj(m));
                }
                loop {
                    let k = self.string()?;
                    if !self.eat(b':') {
                        return None;
                    }
                    let v = self.value(depth + 1)?;
                    m.insert(k, v);
                    if self.eat(b',') {
                        continue;
                    }
                    return if self.eat(b'}') { Some(Value::Obj(m)) } else { None };
                }
            }
            b'[' => {
                self.i += 1;
                let mut a = Vec::new();
                if self.eat(b']') {
                    return Some(Value::Arr(a));
                }
                loop {
                    a.push(self.value(depth + 1)?);
                    if self.eat(b',') {
                        continue;
                    }
                    return if self.eat(b']') { Some(Value::Arr(a)) } else { None };
                }
            }
            b'-' | b'0'..=b'9' => {
                let start = self.i;
                self.i += 1;
                while self.i < self.b.len() && matches!(self.b[self.i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') {
                    self.i += 1;
                }
                Some(Value::Num(String::from_utf8_lossy(&self.b[start..self.i]).into_owned()))
            }
            _ if self.lit("true") => Some(Value::Bool(true)),
            _ if self.lit("false") => Some(Value::Bool(false)),
            _ if self.lit("null") => Some(Value::Null),
            _ => None,
        }
    }
}

/// parse reads one JSON value from the front of b and returns it with the
/// number of bytes it used (trailing spaces included).
fn parse(b: &[u8]) -> Option<(Value, usize)> {
    let mut r = Reader { b, i: 0 };
    let v = r.value(0)?;
    r.ws();
    Some((v, r.i))
}

// ---- writer ----

fn json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for c in s.bytes() {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f => out.extend_from_slice(format!("\\u{:04x}", c).as_bytes()),
            _ => out.push(c),
        }
    }
    out.push(b'"');
}

/// cut returns the longest prefix of s of at most max bytes that does not
/// split a UTF-8 sequence.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut n = max;
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    &s[..n]
}

// ---- plugin state ----

static mut IN: Vec<u8> = Vec::new(); // chelseru_alloc's buffer
static mut OUT: Vec<u8> = Vec::new(); // the last output
static mut TOKEN: String = String::new();
static mut BASE: String = String::new(); // without a trailing '/'
static mut CONFIGURED: bool = false;

/// emit records out as the last output and packs it for the host.
fn emit(out: Vec<u8>) -> u64 {
    unsafe {
        OUT = out;
        if OUT.is_empty() {
            return 0;
        }
        (OUT.as_ptr() as u64) << 32 | OUT.len() as u64
    }
}

/// input returns the bytes the host wrote for this call, checking that
/// (ptr, n) lies in the chelseru_alloc buffer.
fn input(ptr: u32, n: u32) -> Option<&'static [u8]> {
    unsafe {
        if IN.is_empty() || ptr as usize != IN.as_ptr() as usize || n as usize > IN.len() {
            return None;
        }
        Some(&IN[..n as usize])
    }
}

#[no_mangle]
pub extern "C" fn chelseru_abi_version() -> i32 {
    ABI_VERSION
}

#[no_mangle]
pub extern "C" fn chelseru_alloc(size: i32) -> u32 {
    if !(0..=MAX_INPUT).contains(&size) {
        return 0;
    }
    let size = size.max(1) as usize;
    unsafe {
        if size > IN.len() {
            IN = vec![0u8; size];
        }
        IN.as_ptr() as u32
    }
}

// The manifest is constant JSON (docs/plugin-abi.md § 4). A provider whose
// templates take named parameters would add its documented names, e.g.
// r#""template_params":["CODE"]"#, and read the Message's params: the host
// fills them from these when the operator's SMS.TEMPLATE_PARAMS names none.
#[no_mangle]
pub extern "C" fn chelseru_manifest() -> u64 {
    emit(
        concat!(
            r#"{"abi":1,"name":"ECHO_RUST","version":"1.0.0","#,
            r#""description":"Example provider written in Rust: posts each SMS to a small echo HTTP API.","#,
            r#""settings":["#,
            r#"{"key":"ECHO_RUST_TOKEN","required":true,"secret":true,"description":"Bearer token of the echo API."},"#,
            r#"{"key":"ECHO_RUST_BASE_URL","required":true,"description":"Base URL of the echo API."}],"#,
            r#""text":true,"templates":true}"#
        )
        .as_bytes()
        .to_vec(),
    )
}

fn configure(b: Option<&[u8]>) -> Result<(String, String), &'static str> {
    let (v, used) = b.and_then(parse).ok_or("configure input is not valid JSON")?;
    if used != b.map_or(0, |b| b.len()) {
        return Err("configure input is not valid JSON");
    }
    let s = v.get("settings");
    let token = s.and_then(|s| s.get("ECHO_RUST_TOKEN")).and_then(Value::str).unwrap_or("");
    let base = s.and_then(|s| s.get("ECHO_RUST_BASE_URL")).and_then(Value::str).unwrap_or("");
    if token.is_empty() {
        return Err("ECHO_RUST_TOKEN is required");
    }
    if base.is_empty() {
        return Err("ECHO_RUST_BASE_URL is required");
    }
    if !base.starts_with("http://") && !base.starts_with("https://") {
        return Err("ECHO_RUST_BASE_URL: not an http(s) URL");
    }
    Ok((token.to_string(), base.trim_end_matches('/').to_string()))
}

#[no_mangle]
pub extern "C" fn chelseru_configure(ptr: u32, n: u32) -> u64 {
    let mut out = Vec::new();
    unsafe {
        CONFIGURED = false;
        match configure(input(ptr, n)) {
            Ok((t, b)) => {
                TOKEN = t;
                BASE = b;
                CONFIGURED = true;
                out.extend_from_slice(b"{}");
            }
            Err(e) => {
                out.extend_from_slice(b"{\"error\":");
                json_str(&mut out, e);
                out.push(b'}');
            }
        }
    }
    emit(out)
}

fn failure(class: &str, code: &str, text: &str) -> u64 {
    let mut out = Vec::new();
    out.extend_from_slice(b"{\"result\":{\"ok\":false,\"class\":");
    json_str(&mut out, class);
    out.extend_from_slice(b",\"code\":");
    json_str(&mut out, code);
    out.extend_from_slice(b",\"text\":");
    json_str(&mut out, text);
    out.extend_from_slice(b"}}");
    emit(out)
}

#[no_mangle]
pub extern "C" fn chelseru_send(ptr: u32, n: u32) -> u64 {
    let msg = match input(ptr, n).and_then(parse) {
        Some((v, used)) if used == n as usize => v,
        _ => return failure("permanent", "bad_input", "the message is not valid ABI JSON"),
    };
    let to = msg.get("to").and_then(Value::str).unwrap_or("");
    let text = msg.get("text").and_then(Value::str).unwrap_or("");
    let template = msg.get("template_id").and_then(Value::int).unwrap_or(0);
    let (token, base, configured) = unsafe { (TOKEN.as_str(), BASE.as_str(), CONFIGURED) };
    if !configured {
        return failure("permanent", "not_configured", "the plugin was not configured");
    }
    if to.is_empty() {
        return failure("bad_request", "to", "no receiver");
    }
    if template == 0 && text.is_empty() {
        return failure("bad_request", "text", "empty message text");
    }
    // The echo API's body: {"to":…,"text":…} or {"to":…,"template":N,"vars":[…]}.
    let mut body = Vec::new();
    body.extend_from_slice(b"{\"to\":");
    json_str(&mut body, to);
    if template != 0 {
        body.extend_from_slice(format!(",\"template\":{}", template).as_bytes());
        if let Some(Value::Arr(vars)) = msg.get("vars") {
            body.extend_from_slice(b",\"vars\":[");
            for (i, v) in vars.iter().enumerate() {
                if i > 0 {
                    body.push(b',');
                }
                json_str(&mut body, v.str().unwrap_or(""));
            }
            body.push(b']');
        }
    } else {
        body.extend_from_slice(b",\"text\":");
        json_str(&mut body, text);
    }
    body.push(b'}');

    let mut out = Vec::new();
    out.extend_from_slice(b"{\"request\":{\"method\":\"POST\",\"url\":");
    json_str(&mut out, &format!("{}/send", base));
    out.extend_from_slice(b",\"headers\":[{\"name\":\"Content-Type\",\"value\":\"application/json\"},{\"name\":\"Authorization\",\"value\":");
    json_str(&mut out, &format!("Bearer {}", token));
    // The body travels raw after the Action's JSON, its length in body_len.
    out.extend_from_slice(format!("}}],\"body_len\":{}}},\"state\":\"echo\"}}", body.len()).as_bytes());
    out.extend_from_slice(&body);
    log_line(1, if template != 0 { "ECHO_RUST: sending a template message" } else { "ECHO_RUST: sending a text message" });
    emit(out)
}

#[no_mangle]
pub extern "C" fn chelseru_response(ptr: u32, n: u32) -> u64 {
    // The input is the Response's JSON immediately followed by body_len raw
    // body bytes: after the object, exactly body_len bytes must be left.
    let b = match input(ptr, n) {
        Some(b) => b,
        None => return failure("permanent", "bad_input", "the response is not valid ABI input"),
    };
    let (resp, used) = match parse(b) {
        Some(x) => x,
        None => return failure("permanent", "bad_input", "the response is not valid ABI input"),
    };
    let status = resp.get("status").and_then(Value::int).unwrap_or(0);
    let body_len = resp.get("body_len").and_then(Value::int).unwrap_or(0);
    if body_len < 0 || body_len as usize != b.len() - used {
        return failure("permanent", "bad_input", "the response is not valid ABI input");
    }
    let answer = match parse(&b[used..]) {
        Some((v @ Value::Obj(_), u)) if u == b.len() - used => Some(v),
        _ => None,
    };
    let field = |k: &str| answer.as_ref().and_then(|a| a.get(k)).and_then(Value::str).filter(|s| !s.is_empty());
    if status == 200 {
        if let Some(id) = field("id") {
            let mut out = Vec::new();
            out.extend_from_slice(b"{\"result\":{\"ok\":true,\"message_id\":");
            json_str(&mut out, cut(id, 128));
            out.extend_from_slice(b"}}");
            return emit(out);
        }
    }
    let class = match status {
        401 | 403 => "bad_credentials",
        402 => "out_of_credit",
        429 => "rate_limited",
        400 | 422 => "bad_request",
        200 | 500..=599 => "temporary",
        _ => "permanent",
    };
    let code = if status == 200 { "bad_response".to_string() } else { format!("http_{}", status) };
    let text = field("error").map(|e| cut(e, 256)).unwrap_or("the echo API gave no usable answer");
    failure(class, &code, text)
}
