//! A small, strict JSON reader for safetensors headers: objects, arrays,
//! strings, non-negative integers, `true`, `false`, `null`. Depth and
//! length are bounded, so hostile input costs nothing but an error.
//!
//! Written here rather than taken from the `safetensors` crate: that crate
//! (even without its `std` feature) brings serde with its derive macros,
//! syn and serde_json, about half again the CPU time of a clean release
//! build of the crate and its examples, while typenet's own checks (types,
//! shapes, finite values, the recorded architecture, duplicate names, a
//! header bound sized to the net, the atomic save) would stay all the same.

use std::collections::HashSet;
use std::string::String;
use std::vec::Vec;

/// A parsed JSON value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Json {
    Object(Vec<(String, Json)>),
    Array(Vec<Json>),
    String(String),
    Number(u64),
    Bool(bool),
    Null,
}

/// Nesting deeper than this is refused (a header needs 3).
const MAX_DEPTH: usize = 16;

/// Parses `text` as one JSON value, allowing trailing spaces (safetensors
/// pads its header with them).
pub(crate) fn parse(text: &[u8]) -> Result<Json, String> {
    let mut p = Parser { s: text, at: 0 };
    let value = p.value(0)?;
    p.space();
    if p.at != p.s.len() {
        return Err(p.error("unexpected text after the header object"));
    }
    Ok(value)
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> String {
        format!("{what} at byte {}", self.at)
    }

    fn space(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.s.get(self.at) {
            self.at += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Result<(), String> {
        self.space();
        if self.s.get(self.at) == Some(&c) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected '{}'", c as char)))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, String> {
        if depth > MAX_DEPTH {
            return Err(self.error("nesting too deep"));
        }
        self.space();
        match self.s.get(self.at) {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(_) => Err(self.error("unexpected character")),
            None => Err(self.error("unexpected end")),
        }
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json, String> {
        if self.s[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.error("unknown literal"))
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, String> {
        self.eat(b'{')?;
        let mut members = Vec::new();
        // the keys seen, for a duplicate check linear in the object's size
        let mut keys = HashSet::new();
        self.space();
        if self.s.get(self.at) == Some(&b'}') {
            self.at += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.space();
            if self.s.get(self.at) != Some(&b'"') {
                return Err(self.error("expected a key"));
            }
            let key = self.string()?;
            if !keys.insert(key.clone()) {
                return Err(self.error(&format!("duplicate key {key:?}")));
            }
            self.eat(b':')?;
            members.push((key, self.value(depth + 1)?));
            self.space();
            match self.s.get(self.at) {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Json::Object(members));
                }
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, String> {
        self.eat(b'[')?;
        let mut items = Vec::new();
        self.space();
        if self.s.get(self.at) == Some(&b']') {
            self.at += 1;
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.space();
            match self.s.get(self.at) {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }

    fn number(&mut self) -> Result<Json, String> {
        let start = self.at;
        while let Some(b'0'..=b'9') = self.s.get(self.at) {
            self.at += 1;
        }
        if let Some(b'.' | b'e' | b'E') = self.s.get(self.at) {
            return Err(self.error("only whole numbers are expected in a header"));
        }
        let digits = std::str::from_utf8(&self.s[start..self.at]).map_err(|_| self.error("bad number"))?;
        if digits.len() > 1 && digits.starts_with('0') {
            return Err(self.error("leading zero"));
        }
        digits
            .parse()
            .map(Json::Number)
            .map_err(|_| self.error("number too large"))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .s
            .get(self.at..self.at + 4)
            .ok_or_else(|| self.error("short \\u escape"))?;
        let text = std::str::from_utf8(digits).map_err(|_| self.error("bad \\u escape"))?;
        let value = u32::from_str_radix(text, 16).map_err(|_| self.error("bad \\u escape"))?;
        self.at += 4;
        Ok(value)
    }

    fn string(&mut self) -> Result<String, String> {
        self.eat(b'"')?;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.s.get(self.at) else {
                return Err(self.error("unterminated string"));
            };
            self.at += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.s.get(self.at) else {
                        return Err(self.error("unterminated escape"));
                    };
                    self.at += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let mut code = self.hex4()?;
                            if (0xD800..0xDC00).contains(&code) {
                                if self.s.get(self.at..self.at + 2) != Some(b"\\u") {
                                    return Err(self.error("lone surrogate"));
                                }
                                self.at += 2;
                                let low = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return Err(self.error("bad surrogate pair"));
                                }
                                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                            }
                            char::from_u32(code).ok_or_else(|| self.error("bad \\u escape"))?
                        }
                        _ => return Err(self.error("unknown escape")),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1f => return Err(self.error("control character in string")),
                _ => out.push(c),
            }
        }
        String::from_utf8(out).map_err(|_| self.error("string is not UTF-8"))
    }
}

/// Writes `s` as a JSON string literal.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_parse() {
        let text =
            br#"{"0.W":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"__metadata__":{"a":"b\u00e9\n"}}   "#;
        let Json::Object(members) = parse(text).unwrap() else {
            panic!()
        };
        assert_eq!(members[0].0, "0.W");
        assert_eq!(
            members[1].1,
            Json::Object(vec![("a".into(), Json::String("bé\n".into()))])
        );
        assert_eq!(
            parse(quote("x\"\\\u{1}").as_bytes()).unwrap(),
            Json::String("x\"\\\u{1}".into())
        );
    }

    #[test]
    fn bad_headers_are_refused() {
        for bad in [
            &b"{"[..],
            b"{\"a\":1,}",
            b"{\"a\":-1}",
            b"{\"a\":1.5}",
            b"{\"a\":01}",
            b"{\"a\":1}x",
            b"{\"a\":\"\\ud800\"}",
            b"{\"a\":1,\"a\":2}",
            b"\"\x01\"",
            b"[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]",
            b"{\"a\":99999999999999999999999}",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    /// 200,000 keys parse, and a duplicate at the end is found, in time
    /// linear in the keys: a check of each key against every earlier one
    /// would take minutes here (the keys have one length and a long common
    /// prefix, so no comparison ends early).
    #[test]
    fn many_keys_parse_and_a_late_duplicate_is_found() {
        const KEYS: usize = 200_000;
        let mut text = String::from("{");
        for i in 0..KEYS {
            text.push_str(&format!("\"{i:064}\":{i},"));
        }
        text.push_str("\"last\":null}");
        let Json::Object(members) = parse(text.as_bytes()).unwrap() else {
            panic!("not an object")
        };
        assert_eq!(members.len(), KEYS + 1);
        assert_eq!(
            members[KEYS - 1],
            (format!("{:064}", KEYS - 1), Json::Number(KEYS as u64 - 1))
        );

        let seventh = format!("{:064}", 7);
        let duplicated = text.replace("\"last\"", &format!("\"{seventh}\""));
        let err = parse(duplicated.as_bytes()).unwrap_err();
        assert!(err.starts_with(&format!("duplicate key {seventh:?}")), "{err}");
    }
}
