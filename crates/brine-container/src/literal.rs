//! The Python literals of an `.npy` header (`{'descr': '<f8', 'fortran_order': False,
//! 'shape': (3,), }`): strings, ints, booleans, None, tuples, lists and dicts, read without
//! evaluating anything, as `ast.literal_eval` reads them.

/// A literal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Str(String),
    Int(i128),
    Bool(bool),
    None,
    Seq(Vec<Literal>),
    Dict(Vec<(Literal, Literal)>),
}

/// Nesting deeper than this is refused (numpy's own headers nest a few levels).
const MAX_DEPTH: usize = 64;

impl Literal {
    pub(crate) fn get(&self, key: &str) -> Option<&Literal> {
        match self {
            Literal::Dict(pairs) => pairs
                .iter()
                .find(|(k, _)| matches!(k, Literal::Str(s) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Parses one literal, which must take all of `text` but for whitespace.
pub(crate) fn parse(text: &str) -> Result<Literal, String> {
    let mut parser = Parser {
        text: text.as_bytes(),
        pos: 0,
    };
    let value = parser.value(0)?;
    parser.space();
    if parser.pos != parser.text.len() {
        return Err(format!("unexpected text at {}", parser.pos));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn space(&mut self) {
        while self.text.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.space();
        self.text.get(self.pos).copied()
    }

    fn value(&mut self, depth: usize) -> Result<Literal, String> {
        if depth > MAX_DEPTH {
            return Err("literal nested too deep".into());
        }
        match self.peek() {
            Some(b'\'' | b'"') => self.string().map(Literal::Str),
            Some(b'(') => self.seq(b')', depth),
            Some(b'[') => self.seq(b']', depth),
            Some(b'{') => self.dict(depth),
            Some(b'-' | b'0'..=b'9') => self.int(),
            Some(_) => self.word(),
            None => Err("literal ends early".into()),
        }
    }

    fn word(&mut self) -> Result<Literal, String> {
        for (word, value) in [
            ("True", Literal::Bool(true)),
            ("False", Literal::Bool(false)),
            ("None", Literal::None),
        ] {
            if self.text[self.pos..].starts_with(word.as_bytes()) {
                self.pos += word.len();
                return Ok(value);
            }
        }
        Err(format!("unexpected text at {}", self.pos))
    }

    fn int(&mut self) -> Result<Literal, String> {
        let start = self.pos;
        if self.text[self.pos] == b'-' {
            self.pos += 1;
        }
        while self.text.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        // A Python 2 long (`3L`) as numpy 1.x under Python 2 wrote shapes.
        let digits = std::str::from_utf8(&self.text[start..self.pos]).unwrap_or("");
        if self.text.get(self.pos) == Some(&b'L') {
            self.pos += 1;
        }
        digits
            .parse()
            .map(Literal::Int)
            .map_err(|_| format!("bad int at {start}"))
    }

    fn string(&mut self) -> Result<String, String> {
        let quote = self.text[self.pos];
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let Some(&b) = self.text.get(self.pos) else {
                return Err("string not closed".into());
            };
            self.pos += 1;
            match b {
                _ if b == quote => break,
                b'\\' => {
                    let Some(&escaped) = self.text.get(self.pos) else {
                        return Err("string not closed".into());
                    };
                    self.pos += 1;
                    out.push(match escaped {
                        b'n' => b'\n',
                        b't' => b'\t',
                        b'0' => 0,
                        other => other,
                    });
                }
                _ => out.push(b),
            }
        }
        String::from_utf8(out).map_err(|_| "string is not text".into())
    }

    fn seq(&mut self, close: u8, depth: usize) -> Result<Literal, String> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok(Literal::Seq(items));
            }
            items.push(self.value(depth + 1)?);
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b) if b == close => {}
                _ => return Err(format!("expected `,` at {}", self.pos)),
            }
        }
    }

    fn dict(&mut self, depth: usize) -> Result<Literal, String> {
        self.pos += 1;
        let mut pairs = Vec::new();
        loop {
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(Literal::Dict(pairs));
            }
            let key = self.value(depth + 1)?;
            if self.peek() != Some(b':') {
                return Err(format!("expected `:` at {}", self.pos));
            }
            self.pos += 1;
            let value = self.value(depth + 1)?;
            pairs.push((key, value));
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                _ => return Err(format!("expected `,` at {}", self.pos)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_headers() {
        let header = parse(
            "{'descr': [('a', '<i4'), ('b', '|O')], 'fortran_order': False, 'shape': (3,), }",
        )
        .unwrap();
        assert_eq!(
            header.get("shape"),
            Some(&Literal::Seq(vec![Literal::Int(3)]))
        );
        assert_eq!(header.get("fortran_order"), Some(&Literal::Bool(false)));
        assert!(parse("{'a': (").is_err());
        assert!(parse(&"[".repeat(100)).is_err());
    }
}
